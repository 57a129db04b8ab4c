import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeadLetterIndex } from '../../functions/adapters/aws/dynamo-dead-letter-index.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { PageCursors } from '../../functions/adapters/aws/page-cursor.js';
import { TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
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

describe.each(['DynamoJobStore', 'MemoryJobStore'])('Contract: JobStore follow-up and send markers (%s)', (name) => {
  it('clears a webhook marker only while it names the same terminal state, once', async () => {
    // Prepare
    const store = stores[name]!();
    const job = queuedJob({ callbackUrl: 'https://hooks.example.com/x' });
    await store.create(job);
    await store.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'SUCCEEDED', set: { finishedAt: '2026-11-23T10:00:00.000Z', webhookPending: '2026-11-23T10:00:00.000Z', sweepAt: '2026-11-23T10:01:00.000Z' } });

    // Act
    const other = await store.clearWebhookPending(job.jobId, '2026-11-23T09:00:00.000Z');
    const first = await store.clearWebhookPending(job.jobId, '2026-11-23T10:00:00.000Z');
    const again = await store.clearWebhookPending(job.jobId, '2026-11-23T10:00:00.000Z');

    // Assess
    expect([other, first, again]).toEqual([false, true, false]);
    const after = await store.get(job.jobId);
    expect(after).toMatchObject({ status: 'SUCCEEDED' });
    expect(after).not.toHaveProperty('webhookPending');
    expect(after).not.toHaveProperty('sweepAt');
  });

  it('moves a send marker only from the state seen, and only while QUEUED; removing it removes the sweep entry', async () => {
    // Prepare
    const store = stores[name]!();
    const job = queuedJob({ sendPending: 'held', sweepAt: '2026-11-23T10:00:00.000Z' });
    await store.create(job);

    // Act
    const wrong = await store.updateSendPending(job.jobId, 'pending', 'claimed:2026-11-23T10:00:00.000Z');
    const claimed = await store.updateSendPending(job.jobId, 'held', 'claimed:2026-11-23T10:00:00.000Z');
    const second = await store.updateSendPending(job.jobId, 'held', 'claimed:2026-11-23T10:00:01.000Z');
    const whileClaimed = await store.get(job.jobId);
    const confirmed = await store.updateSendPending(job.jobId, 'claimed:2026-11-23T10:00:00.000Z', undefined);

    // Assess
    expect([wrong, claimed, second, confirmed]).toEqual([false, true, false, true]);
    expect(whileClaimed).toMatchObject({ sendPending: 'claimed:2026-11-23T10:00:00.000Z', sweepAt: '2026-11-23T10:00:00.000Z' });
    const after = await store.get(job.jobId);
    expect(after).not.toHaveProperty('sendPending');
    expect(after).not.toHaveProperty('sweepAt');
  });

  it('discards a QUEUED job only while its send marker is as seen, when asked to check it', async () => {
    // Prepare
    const store = stores[name]!();
    const job = queuedJob({ sendPending: 'pending' });
    await store.create(job);

    // Act
    const refused = await store.discard(job.jobId, { sendPending: 'held' }).catch((e: unknown) => e);
    await store.discard(job.jobId, { sendPending: 'pending' });

    // Assess
    expect(refused).toBeInstanceOf(TransitionConflictError);
    expect(await store.get(job.jobId)).toBeUndefined();
  });

  it('removes a sweep entry only while it says the time seen', async () => {
    const store = stores[name]!();
    const job = queuedJob({ sweepAt: '2026-11-23T10:00:00.000Z' });
    await store.create(job);
    expect(await store.clearSweep(job.jobId, '2026-11-23T09:00:00.000Z')).toBe(false);
    expect(await store.clearSweep(job.jobId, '2026-11-23T10:00:00.000Z')).toBe(true);
    expect(await store.get(job.jobId)).not.toHaveProperty('sweepAt');
  });
});

describe('Contract: DynamoDeadLetterIndex (the sparse deadLetters index)', () => {
  const index = (now = () => new Date()) => new DynamoDeadLetterIndex({ client, tableName: 'jobs', now, cursors: new PageCursors(async () => Buffer.alloc(32, 7)) });
  const store = () => new DynamoJobStore({ client, tableName: 'jobs' });
  /** A job made DEAD the way the worker does it: the listing attributes in the DEAD write. */
  async function dies(job: JobRecord, until = Math.floor(Date.now() / 1000) + 14 * 86_400): Promise<void> {
    await store().create(job);
    await store().transition({ jobId: job.jobId, from: ['QUEUED'], to: 'DEAD', set: { attempt: 3, finishedAt: new Date().toISOString(), deadLetterType: job.type, deadLetterUntil: until } });
  }

  it('lists a type\'s dead jobs newest job first across tenants, pages with a cursor, counts them', async () => {
    // Prepare
    const type = 'pdf';
    const dead = [0, 1, 2, 3, 4].map((i) => queuedJob({ type, tenant: `t-${i % 2}` }));
    for (const job of dead) await dies(job);
    const alive = queuedJob({ type });
    await store().create(alive);

    // Act
    const first = await index().list(type, { limit: 3 });
    const second = await index().list(type, { limit: 3, cursor: first.cursor! });

    // Assess
    expect(first.jobIds).toEqual([dead[4]!.jobId, dead[3]!.jobId, dead[2]!.jobId]);
    expect(second.jobIds).toEqual([dead[1]!.jobId, dead[0]!.jobId]);
    expect(second.cursor).toBeUndefined();
    expect(await index().count(type)).toBe(5);
    expect((await index().list('email', { limit: 10 })).jobIds).toEqual([]);
  });

  it('unlists a job by the write that takes it out of DEAD, and hides one whose DLQ message has expired', async () => {
    // Prepare
    const job = queuedJob({ type: 'email' });
    await dies(job);
    const listed = await index().list('email', { limit: 10 });
    const later = await index(() => new Date(Date.now() + 15 * 86_400_000)).list('email', { limit: 10 });

    // Act: a redrive puts it back to QUEUED
    await store().transition({ jobId: job.jobId, from: ['DEAD'], to: 'QUEUED', set: { attempt: 0 }, remove: ['deadLetterType', 'deadLetterUntil'] });
    const requeued = await index().list('email', { limit: 10 });

    // Assess
    expect(listed.jobIds).toEqual([job.jobId]);
    expect(later.jobIds).toEqual([]);
    expect(requeued.jobIds).toEqual([]);
  });

  it('holds one entry per job: a job that dies again is listed once', async () => {
    // Prepare
    const job = queuedJob({ type: 'analysis' });
    await dies(job);
    await store().transition({ jobId: job.jobId, from: ['DEAD'], to: 'QUEUED', set: { attempt: 0 }, remove: ['deadLetterType', 'deadLetterUntil'] });

    // Act
    await store().transition({ jobId: job.jobId, from: ['QUEUED'], to: 'DEAD', set: { attempt: 3, finishedAt: new Date().toISOString(), deadLetterType: 'analysis', deadLetterUntil: Math.floor(Date.now() / 1000) + 86_400 } });

    // Assess
    const listed = await index().list('analysis', { limit: 100 });
    expect(listed.jobIds.filter((id) => id === job.jobId)).toHaveLength(1);
    expect(await index().count('analysis')).toBe(listed.jobIds.length);
  });
});
