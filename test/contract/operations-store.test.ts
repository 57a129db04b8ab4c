import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeadLetterIndex } from '../../functions/adapters/aws/dynamo-dead-letter-index.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { PageCursors } from '../../functions/adapters/aws/page-cursor.js';
import { TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { queuedJob } from '../helpers/factories.js';
import { MemoryJobStore } from '../helpers/memory-job-store.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;
let client: LocalTable['client'];
const stores: Record<string, () => JobStore> = {};

beforeAll(async () => {
  table = await startLocalTable();
  client = table.client;
  stores.DynamoJobStore = () => new DynamoJobStore({ client, tableName: 'jobs' });
  stores.MemoryJobStore = () => new MemoryJobStore();
});

afterAll(async () => {
  await table?.close();
});

describe.each(['DynamoJobStore', 'MemoryJobStore'])('Contract: JobStore generation condition (%s)', (name) => {
  it('treats an absent generation as 0 and refuses a write from another generation', async () => {
    // Prepare
    const store = stores[name]!();
    const job = queuedJob();
    await store.create(job);

    // Act
    const refused = await store.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'RUNNING', expectGeneration: 1, set: { attempt: 1 } }).catch((e: unknown) => e);
    const moved = await store.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'RUNNING', expectGeneration: 0, set: { attempt: 1, generation: 2 } });
    const stale = await store.transition({ jobId: job.jobId, from: ['RUNNING'], to: 'SUCCEEDED', expectGeneration: 0 }).catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(TransitionConflictError);
    expect(moved).toMatchObject({ status: 'RUNNING', generation: 2 });
    expect(stale).toBeInstanceOf(TransitionConflictError);
    await expect(store.transition({ jobId: job.jobId, from: ['RUNNING'], to: 'SUCCEEDED', expectGeneration: 2 })).resolves.toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('Contract: DynamoDeadLetterIndex', () => {
  const index = (now = () => new Date()) => new DynamoDeadLetterIndex({ client, tableName: 'jobs', dlqRetentionSeconds: 14 * 86_400, now, cursors: new PageCursors(async () => Buffer.alloc(32, 7)) });

  it('lists a type\'s dead jobs newest job first across tenants, pages with a cursor, counts them', async () => {
    // Prepare
    const type = 'pdf';
    const dead = [0, 1, 2, 3, 4].map((i) =>
      queuedJob({ type, tenant: `t-${i % 2}`, status: 'DEAD', attempt: 3, finishedAt: `2026-11-23T10:00:0${i}.000Z`, error: { code: 'E', message: `m${i}` } }),
    );
    for (const job of dead) await index().add(job);

    // Act
    const first = await index().list(type, { limit: 3 });
    const second = await index().list(type, { limit: 3, cursor: first.cursor! });

    // Assess
    expect(first.entries.map((e) => e.jobId)).toEqual([dead[4]!.jobId, dead[3]!.jobId, dead[2]!.jobId]);
    expect(second.entries.map((e) => e.jobId)).toEqual([dead[1]!.jobId, dead[0]!.jobId]);
    expect(second.cursor).toBeUndefined();
    expect(first.entries[0]).toMatchObject({ tenant: 't-0', attempt: 3, error: { code: 'E', message: 'm4' }, deadAt: '2026-11-23T10:00:04.000Z' });
    expect(await index().count(type)).toBe(5);
    expect((await index().list('email', { limit: 10 })).entries).toEqual([]);
  });

  it('removes only the death it names, and hides entries whose DLQ message has expired', async () => {
    // Prepare
    const job = queuedJob({ type: 'email', status: 'DEAD', attempt: 5, finishedAt: '2026-11-23T10:00:00.000Z' });
    await index().add(job);

    // Act
    await index().remove('email', job.jobId, '2026-11-23T09:00:00.000Z'); // an older death: no effect
    const kept = await index().list('email', { limit: 10 });
    const later = await index(() => new Date(Date.now() + 15 * 86_400_000)).list('email', { limit: 10 });
    await index().remove('email', job.jobId, '2026-11-23T10:00:00.000Z');
    const removed = await index().list('email', { limit: 10 });

    // Assess
    expect(kept.entries.map((e) => e.jobId)).toEqual([job.jobId]);
    expect(later.entries).toEqual([]);
    expect(removed.entries).toEqual([]);
  });

  it('keeps one entry per job: a second death replaces the first', async () => {
    // Prepare
    const job = queuedJob({ type: 'analysis', status: 'DEAD', attempt: 3, finishedAt: '2026-11-23T10:00:00.000Z' });
    await index().add(job);

    // Act: redriven, it dies again, and the first death's entry was never removed
    await index().add({ ...job, finishedAt: '2026-11-23T11:00:00.000Z' });

    // Assess
    const listed = await index().list('analysis', { limit: 10 });
    expect(listed.entries.filter((e) => e.jobId === job.jobId).map((e) => e.deadAt)).toEqual(['2026-11-23T11:00:00.000Z']);
    expect(await index().count('analysis')).toBe(listed.entries.length);
  });
});
