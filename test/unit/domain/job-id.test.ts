import { describe, expect, it } from 'vitest';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { JOB_ID_SHARDS, JobIdGenerator, jobIdFloor, jobIdTime, newJobId, parseJobId, tenantHash } from '../../../shared/domain/job-id.js';
import { collidingTenants } from '../../helpers/tenant-collision.js';

describe('Function: newJobId', () => {
  it('issues RFC 9562 version-7 UUIDs that carry their creation time, tenant hash and shard', () => {
    // Prepare
    const at = new Date('2026-11-23T14:00:00.123Z');

    // Act: a fresh generator (the module's one never issues an id older than its last)
    const id = new JobIdGenerator().next('acme', at);

    // Assess
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseJobId(id)).toEqual({ timeMs: at.getTime(), tenantHash: tenantHash('acme'), shard: expect.any(Number) });
    expect(parseJobId(id)!.shard).toBeLessThan(JOB_ID_SHARDS);
    expect(jobIdTime(id)).toBe('2026-11-23T14:00:00.123Z');
  });

  it('sorts as strings by creation time, and in issue order within one millisecond', () => {
    // Prepare
    const generator = new JobIdGenerator();
    const base = Date.parse('2026-11-23T14:00:00.000Z');
    const times = [0, 0, 0, 1, 1, 250, 86_400_000, 86_400_000].map((offset) => new Date(base + offset));

    // Act
    const ids = times.map((time, i) => generator.next(`tenant-${i % 3}`, time));

    // Assess
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('borrows the next millisecond after 4,096 ids in one, so order still holds', () => {
    // Prepare
    const generator = new JobIdGenerator();
    const at = new Date('2026-11-23T14:00:00.000Z');

    // Act
    const ids = Array.from({ length: 5_000 }, () => generator.next('busy', at));

    // Assess
    expect([...ids].sort()).toEqual(ids);
    expect(jobIdTime(ids[0]!)).toBe('2026-11-23T14:00:00.000Z');
    expect(jobIdTime(ids[4_999]!)).toBe('2026-11-23T14:00:00.001Z');
  });

  it('places a job in the shard it is given, and refuses one outside 0…N−1', () => {
    const generator = new JobIdGenerator();
    const ids = Array.from({ length: JOB_ID_SHARDS }, (_, shard) => generator.next('acme', new Date(), shard));
    expect(ids.map((id) => parseJobId(id)!.shard)).toEqual(Array.from({ length: JOB_ID_SHARDS }, (_, shard) => shard));
    expect(() => generator.next('acme', new Date(), JOB_ID_SHARDS)).toThrow(RangeError);
  });
});

describe('Function: parseJobId', () => {
  it.each([
    ['a version-4 UUID', '0b8f2c1e-6f1a-4f7e-9d1b-2f4c9a1e7b3d'],
    ['upper case', newJobId('acme').toUpperCase()],
    ['a shard beyond the configured count', newJobId('acme').replace(/^(.{29})./, '$1f')],
    ['not a UUID', 'job-1'],
    ['a key', 'JOBS#abcdef#0'],
  ])('refuses %s: no such job, no key', (_name, id) => {
    expect(parseJobId(id)).toBeUndefined();
    expect(keys.job(id)).toBeUndefined();
  });
});

describe('Function: keys.job', () => {
  it('derives the record key from the id alone: the tenant\'s partition for that shard, the id as sort key', () => {
    // Prepare
    const id = newJobId('acme');

    // Act
    const key = keys.job(id)!;

    // Assess
    expect(key).toEqual({ pk: `JOBS#${tenantHash('acme')}#${parseJobId(id)!.shard}`, sk: id });
    expect(keys.tenantJobPartitions('acme')).toContain(key.pk);
    expect(keys.tenantJobPartitions('acme')).toHaveLength(TABLE_LAYOUT.jobShards);
  });

  it('puts tenants whose hashes collide in the same partitions (listing must filter by tenant)', () => {
    const [a, b] = collidingTenants();
    expect(a).not.toBe(b);
    expect(keys.tenantJobPartitions(a)).toEqual(keys.tenantJobPartitions(b));
  });
});

describe('Function: jobIdFloor', () => {
  it('sorts after every id created before the time and before every id created at or after it', () => {
    // Prepare
    const generator = new JobIdGenerator();
    const at = new Date('2026-11-23T14:00:00.500Z');
    const before = generator.next('acme', new Date(at.getTime() - 1));
    const atTime = generator.next('acme', at);
    const after = generator.next('acme', new Date(at.getTime() + 1));

    // Act
    const floor = jobIdFloor(at);

    // Assess
    expect(before < floor).toBe(true);
    expect(atTime >= floor).toBe(true);
    expect(after >= floor).toBe(true);
  });
});
