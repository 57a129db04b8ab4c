import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { DynamoRecoveryIndex } from '../../functions/adapters/aws/dynamo-recovery-index.js';
import { DynamoTenantActivity } from '../../functions/adapters/aws/dynamo-tenant-activity.js';
import { JobIdGenerator, tenantHash } from '../../shared/domain/job-id.js';
import { queuedJob } from '../helpers/factories.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;

beforeAll(async () => {
  table = await startLocalTable();
});

afterAll(async () => {
  await table?.close();
});

const at = (iso: string) => new Date(iso);

describe('Contract: DynamoRecoveryIndex and DynamoTenantActivity (the sweep\'s reads, on the local DynamoDB)', () => {
  it('finds the active tenants of a window (from the day before it), and only their records still pending in it', async () => {
    // Prepare: two tenants noted on 2026-11-23, one on 2026-11-20; records inside and outside the window
    const { client, tableName } = table;
    const store = new DynamoJobStore({ client, tableName });
    const activity = new DynamoTenantActivity({ client, tableName });
    const index = new DynamoRecoveryIndex({ client, tableName });
    const ids = new JobIdGenerator();
    await activity.note('acme', at('2026-11-23T09:00:00Z'));
    await activity.note('acme', at('2026-11-23T10:00:00Z'));
    await activity.note('globex', at('2026-11-23T11:00:00Z'));
    await activity.note('initech', at('2026-11-20T11:00:00Z'));
    const before = queuedJob({ tenant: 'acme', jobId: ids.next('acme', at('2026-11-23T11:59:59.999Z')), sendPending: 'pending' });
    const inside = queuedJob({ tenant: 'acme', jobId: ids.next('acme', at('2026-11-23T12:00:00.000Z')), sendPending: 'pending' });
    const sent = queuedJob({ tenant: 'globex', jobId: ids.next('globex', at('2026-11-23T12:00:30Z')) });
    const held = queuedJob({ tenant: 'globex', jobId: ids.next('globex', at('2026-11-23T12:00:40Z')), sendPending: 'held' });
    const after = queuedJob({ tenant: 'globex', jobId: ids.next('globex', at('2026-11-23T12:01:00.000Z')), sendPending: 'pending' });
    for (const job of [before, inside, sent, held, after]) await store.create(job);

    // Act
    const tenants = await index.activeTenantHashes(at('2026-11-24T00:30:00Z'), at('2026-11-24T01:00:00Z'));
    const pending = await index.pendingSends([tenantHash('acme'), tenantHash('globex')], at('2026-11-23T12:00:00Z'), at('2026-11-23T12:01:00Z'));

    // Assess
    expect(tenants.sort()).toEqual([tenantHash('acme'), tenantHash('globex')].sort());
    expect(pending.map((job) => job.jobId)).toEqual([inside.jobId, held.jobId]);
    expect(pending[0]).toMatchObject({ status: 'QUEUED', sendPending: 'pending', tenant: 'acme' });
  });

  it('lists due sweep entries from every shard, soonest first, and keeps a watermark per pass', async () => {
    // Prepare: entries spread over the shards by their ids; one not yet due
    const { client, tableName } = table;
    const store = new DynamoJobStore({ client, tableName });
    const index = new DynamoRecoveryIndex({ client, tableName });
    const due = Array.from({ length: 20 }, (_, i) => queuedJob({ tenant: 'sweep-t', sweepAt: `2026-11-23T10:${String(i).padStart(2, '0')}:00.000Z`, sendPending: 'held' }));
    const later = queuedJob({ tenant: 'sweep-t', sweepAt: '2026-11-23T11:00:00.000Z', sendPending: 'held' });
    for (const job of [...due, later]) await store.create(job);

    // Act
    const found = await index.dueForSweep(at('2026-11-23T10:30:00Z'), 500);
    const firstFive = await index.dueForSweep(at('2026-11-23T10:30:00Z'), 5);
    await index.setWatermark('prompt', at('2026-11-23T10:00:00Z'));
    const watermarks = [await index.watermark('prompt'), await index.watermark('delayed')];

    // Assess
    expect(new Set(found.map((entry) => entry.jobId))).toEqual(new Set(due.map((job) => job.jobId)));
    expect(found.map((entry) => entry.sweepAt)).toEqual([...found.map((entry) => entry.sweepAt)].sort());
    expect(firstFive.map((entry) => entry.jobId)).toEqual(due.slice(0, 5).map((job) => job.jobId));
    expect(watermarks).toEqual([at('2026-11-23T10:00:00Z'), undefined]);
  });
});
