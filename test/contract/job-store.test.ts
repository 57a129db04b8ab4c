import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { itemSize, toAttributeMap } from '../../bench/cost/item-size.js';
import { analysisPayload as benchPayload } from '../../bench/lib/workload.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import type { JobContext } from '../../functions/worker/context.js';
import { keys } from '../../shared/config/table.js';
import { JobAlreadyExistsError, TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { queuedJob } from '../helpers/factories.js';
import { MemoryJobStore } from '../helpers/memory-job-store.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;
const stores: Record<string, () => JobStore> = {};

beforeAll(async () => {
  table = await startLocalTable();
  const client = table.client;
  stores.DynamoJobStore = () => new DynamoJobStore({ client, tableName: 'jobs' });
  stores.MemoryJobStore = () => new MemoryJobStore();
});

afterAll(async () => {
  await table?.close();
});

describe.each(['DynamoJobStore', 'MemoryJobStore'])('Contract: JobStore (%s)', (name) => {
  const store = (): JobStore => stores[name]!();

  it('creates once and refuses a second create of the same id', async () => {
    // Prepare
    const s = store();
    const job = queuedJob();

    // Act
    await s.create(job);

    // Assess
    await expect(s.create(job)).rejects.toBeInstanceOf(JobAlreadyExistsError);
    expect(await s.get(job.jobId)).toEqual(job);
  });

  it('hides another tenant’s job and an expired one', async () => {
    const s = store();
    const job = queuedJob({ tenant: 'a' });
    const expired = queuedJob({ ttl: Math.floor(Date.now() / 1000) - 10 });
    await s.create(job);
    await s.create(expired);
    expect(await s.get(job.jobId, { tenant: 'b' })).toBeUndefined();
    expect(await s.get(job.jobId, { tenant: 'a' })).toBeDefined();
    expect(await s.get(expired.jobId)).toBeUndefined();
  });

  it('reads many jobs at once: the found ones by id, missing and expired ones left out, each id once', async () => {
    // Prepare: 120 jobs (more than one BatchGetItem takes), an expired one, an unknown id, a repeated id
    const s = store();
    const jobs = Array.from({ length: 120 }, (_, i) => queuedJob({ tenant: `t${i % 3}` }));
    for (const job of jobs) await s.create(job);
    const expired = queuedJob({ ttl: Math.floor(Date.now() / 1000) - 10 });
    await s.create(expired);
    const unknown = queuedJob();

    // Act
    const found = await s.getMany([...jobs.map((j) => j.jobId), expired.jobId, unknown.jobId, jobs[0]!.jobId, 'not-a-job-id']);

    // Assess
    expect(found.size).toBe(120);
    for (const job of jobs) expect(found.get(job.jobId)).toEqual(job);
    expect(found.has(expired.jobId)).toBe(false);
    expect(found.has(unknown.jobId)).toBe(false);
    expect(await s.getMany([])).toEqual(new Map());
  });

  it('applies a transition only from an expected status and attempt', async () => {
    // Prepare
    const s = store();
    const job = queuedJob();
    await s.create(job);

    // Act
    const running = await s.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'RUNNING', attemptAtMost: 0, set: { attempt: 1 } });

    // Assess
    expect(running).toMatchObject({ status: 'RUNNING', attempt: 1 });
    await expect(s.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'RUNNING', set: { attempt: 2 } })).rejects.toBeInstanceOf(TransitionConflictError);
    // A stale delivery (attempt 1 is stored; this one thinks the newest is 0) cannot finish it.
    await expect(s.transition({ jobId: job.jobId, from: ['RUNNING'], to: 'SUCCEEDED', attemptAtMost: 0 })).rejects.toBeInstanceOf(TransitionConflictError);
  });

  it('sets and removes fields in one transition', async () => {
    const s = store();
    const job = queuedJob({ status: 'RETRYING', attempt: 1, error: { code: 'X', message: 'y' }, nextAttemptAt: new Date().toISOString() });
    await s.create(job);
    const done = await s.transition({ jobId: job.jobId, from: ['RETRYING'], to: 'SUCCEEDED', set: { result: { n: 1 }, progress: 100 }, remove: ['error', 'nextAttemptAt'] });
    expect(done).toMatchObject({ status: 'SUCCEEDED', result: { n: 1 }, progress: 100 });
    expect(done.error).toBeUndefined();
    expect(done.nextAttemptAt).toBeUndefined();
  });

  it('refuses a transition of a job that does not exist', async () => {
    await expect(store().transition({ jobId: 'missing', from: ['QUEUED'], to: 'RUNNING' })).rejects.toBeInstanceOf(TransitionConflictError);
  });

  it('only raises progress, only for the attempt that holds the job', async () => {
    // Prepare
    const s = store();
    const job = queuedJob({ status: 'RUNNING', attempt: 2, progress: 40 });
    await s.create(job);

    // Act
    const raised = await s.recordProgress(job.jobId, 2, 60, 'step 3');

    // Assess
    expect(raised).toMatchObject({ progress: 60, progressMessage: 'step 3' });
    await expect(s.recordProgress(job.jobId, 2, 50)).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(s.recordProgress(job.jobId, 1, 90)).rejects.toBeInstanceOf(TransitionConflictError);
  });

  it('discards only a QUEUED job', async () => {
    const s = store();
    const queued = queuedJob();
    const running = queuedJob({ status: 'RUNNING', attempt: 1 });
    await s.create(queued);
    await s.create(running);
    await s.discard(queued.jobId);
    expect(await s.get(queued.jobId)).toBeUndefined();
    await expect(s.discard(running.jobId)).rejects.toBeInstanceOf(TransitionConflictError);
  });

  it('flags only a RUNNING job for cancellation', async () => {
    // Prepare
    const s = store();
    const running = queuedJob({ status: 'RUNNING', attempt: 1 });
    const queued = queuedJob();
    await s.create(running);
    await s.create(queued);

    // Act
    const flagged = await s.requestCancel(running.jobId);

    // Assess
    expect(flagged).toMatchObject({ status: 'RUNNING', cancelRequested: true });
    expect(await s.get(running.jobId)).toMatchObject({ cancelRequested: true });
    await expect(s.requestCancel(queued.jobId)).rejects.toBeInstanceOf(TransitionConflictError);
    await expect(s.requestCancel('no-such-job')).rejects.toBeInstanceOf(TransitionConflictError);
  });
});

describe('Contract: DynamoJobStore item layout', () => {
  const raw = async (jobId: string) => (await table.client.send(new GetCommand({ TableName: 'jobs', Key: keys.job(jobId)! }))).Item!;

  it('stores nothing it can derive, and gives every field back on read', async () => {
    // Prepare
    const s = stores.DynamoJobStore!();
    const job = queuedJob();

    // Act
    await s.create(job);
    const created = await raw(job.jobId);
    const done = await s.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'SUCCEEDED', set: { attempt: 1, finishedAt: new Date().toISOString(), result: { ok: true } } });
    const finished = await raw(job.jobId);

    // Assess: the id is the sort key, createdAt is in the id, updatedAt is createdAt or finishedAt
    expect(created).toEqual({ ...keys.job(job.jobId), tenant: job.tenant, type: job.type, status: 'QUEUED', attempt: 0, maxAttempts: 3, progress: 0, payload: job.payload });
    expect(finished).not.toHaveProperty('updatedAt');
    expect(done).toMatchObject({ jobId: job.jobId, createdAt: job.createdAt, updatedAt: done.finishedAt });
    expect(await s.get(job.jobId)).toEqual(done);
  });

  it('keeps the bench\'s fast analysis job within one write unit (1 KB) at enqueue and when it ends', async () => {
    // Prepare: the record and the outcome the worker writes for the bench's fast job (real handler)
    const s = stores.DynamoJobStore!();
    const payload = benchPayload('fast-123456');
    const job = queuedJob({ tenant: 'tenant-production', payload });
    const result = await analysisHandler(payload, { progress: async () => undefined } as unknown as JobContext);
    const now = new Date().toISOString();

    // Act
    await s.create(job);
    const queuedBytes = itemSize(toAttributeMap(await raw(job.jobId)));
    await s.transition({
      jobId: job.jobId, from: ['QUEUED', 'RETRYING', 'RUNNING'], to: 'SUCCEEDED', attemptAtMost: 1, expectGeneration: 0,
      set: { attempt: 1, finishedAt: now, ttl: Math.floor(Date.now() / 1000) + 7 * 86_400, startedAt: now, progress: 100, progressMessage: 'detected category', result },
      remove: ['nextAttemptAt', 'error', 'messageId'],
    });
    const finishedBytes = itemSize(toAttributeMap(await raw(job.jobId)));

    // Assess
    expect(queuedBytes).toBeLessThanOrEqual(1_024);
    expect(finishedBytes).toBeLessThanOrEqual(1_024);
  });
});
