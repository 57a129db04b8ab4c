import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoIdempotencyStore } from '../../functions/adapters/aws/dynamo-idempotency-store.js';
import type { IdempotencyEntry, IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import { MemoryIdempotencyStore } from '../helpers/memory-idempotency-store.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;
const stores: Record<string, () => IdempotencyStore> = {};

beforeAll(async () => {
  table = await startLocalTable();
  const client = table.client;
  stores.DynamoIdempotencyStore = () => new DynamoIdempotencyStore({ client, tableName: 'jobs' });
  stores.MemoryIdempotencyStore = () => new MemoryIdempotencyStore();
});

afterAll(async () => {
  await table?.close();
});

function entry(overrides: Partial<IdempotencyEntry> = {}): IdempotencyEntry {
  const now = Date.now();
  return {
    tenant: 'tenant-a',
    key: `key-${randomUUID()}`,
    jobId: randomUUID(),
    requestHash: 'h1',
    state: 'PENDING',
    lockToken: 't1',
    lockedUntil: now + 30_000,
    createdAt: new Date(now).toISOString(),
    ttl: Math.floor(now / 1000) + 3_600,
    ...overrides,
  };
}

describe.each(['DynamoIdempotencyStore', 'MemoryIdempotencyStore'])('Contract: IdempotencyStore (%s)', (name) => {
  const store = (): IdempotencyStore => stores[name]!();

  it('lets exactly one of many concurrent claims of a key win', async () => {
    // Prepare
    const s = store();
    const key = `key-${randomUUID()}`;

    // Act
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s.claim(entry({ key, jobId: `job-${i}`, lockToken: `t${i}` }))));

    // Assess
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect(await s.get('tenant-a', key)).toMatchObject({ jobId: `job-${winner}`, state: 'PENDING' });
  });

  it('keeps keys apart per tenant, and treats an expired entry as absent', async () => {
    const s = store();
    const first = entry();
    expect(await s.claim(first)).toBe(true);
    expect(await s.claim({ ...first, tenant: 'tenant-b' })).toBe(true);
    expect(await s.get('tenant-c', first.key)).toBeUndefined();

    const expired = entry({ ttl: Math.floor(Date.now() / 1000) - 1 });
    expect(await s.claim(expired)).toBe(true);
    expect(await s.get(expired.tenant, expired.key)).toBeUndefined();
    expect(await s.claim({ ...expired, ttl: Math.floor(Date.now() / 1000) + 60, jobId: 'fresh' })).toBe(true);
    expect(await s.get(expired.tenant, expired.key)).toMatchObject({ jobId: 'fresh' });
  });

  it('commits and releases only for the lock holder, and only while PENDING', async () => {
    const s = store();
    const e = entry();
    await s.claim(e);
    expect(await s.commit(e.tenant, e.key, 'someone-else')).toBe(false);
    expect(await s.release(e.tenant, e.key, 'someone-else')).toBe(false);
    expect(await s.commit(e.tenant, e.key, e.lockToken)).toBe(true);
    expect(await s.release(e.tenant, e.key, e.lockToken)).toBe(false);
    expect(await s.get(e.tenant, e.key)).toMatchObject({ state: 'COMMITTED' });

    const other = entry();
    await s.claim(other);
    expect(await s.release(other.tenant, other.key, other.lockToken)).toBe(true);
    expect(await s.get(other.tenant, other.key)).toBeUndefined();
  });

  it('allows a takeover only of a PENDING entry whose lock ran out, by its current token', async () => {
    const s = store();
    const live = entry();
    await s.claim(live);
    expect(await s.takeOver(live.tenant, live.key, live.lockToken, 't2', Date.now() + 30_000)).toBe(false);

    const stale = entry({ lockedUntil: Date.now() - 1 });
    await s.claim(stale);
    expect(await s.takeOver(stale.tenant, stale.key, 'wrong', 't2', Date.now() + 30_000)).toBe(false);
    expect(await s.takeOver(stale.tenant, stale.key, stale.lockToken, 't2', Date.now() + 30_000)).toBe(true);
    expect(await s.commit(stale.tenant, stale.key, stale.lockToken)).toBe(false);
    expect(await s.commit(stale.tenant, stale.key, 't2')).toBe(true);
  });
});
