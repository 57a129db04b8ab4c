import { describe, expect, it, vi } from 'vitest';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import type { Transition } from '../../../shared/ports/job-store.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const NOW = Date.parse('2026-12-01T08:00:00.000Z');

function setup(store = new MemoryJobStore()) {
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) } satisfies ConsumerQueue;
  const statusAtStart: string[] = [];
  const runs = vi.fn(async (_payload: unknown, ctx: { jobId: string }) => {
    statusAtStart.push((await store.get(ctx.jobId))!.status);
    return 'ok';
  });
  // analysis claims lazily: RUNNING is written about a second into a run, unless told otherwise.
  const worker = new JobWorker(jobRegistry.analysis, runs, { store, queue, logger: silentLogger, timeoutMarginMs: 1_000, now: () => NOW, storeRetryDelaysMs: [1, 1] });
  return { store, queue, worker, runs, statusAtStart };
}

describe('Class: JobWorker — ttlSeconds (a start-by time)', () => {
  it('ends a QUEUED job past its start-by time EXPIRED without running it, and acknowledges its message', async () => {
    // Prepare
    const { store, worker, runs } = setup();
    const job = queuedJob({ startBy: new Date(NOW - 1).toISOString() });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).not.toHaveBeenCalled();
    const after = await store.get(job.jobId);
    expect(after).toMatchObject({ status: 'EXPIRED', attempt: 0, finishedAt: new Date(NOW).toISOString(), error: { code: 'EXPIRED' } });
    // Kept as long as a failure (30 days for analysis) from when it expired.
    expect(after?.ttl).toBe(Math.floor(NOW / 1000) + 30 * 86_400);
  });

  it('claims a job with a start-by time before its handler starts, even for a lazy type, so that "started" is on the record', async () => {
    // Prepare
    const { store, worker, statusAtStart } = setup();
    const job = queuedJob({ startBy: new Date(NOW + 60_000).toISOString() });
    const plain = queuedJob();
    await store.create(job);
    await store.create(plain);

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());
    await worker.processBatch(sqsEvent(sqsRecord(plain, 1)), invocation());

    // Assess: RUNNING before the handler for the first; the plain job still goes the fast, lazy way.
    expect(statusAtStart).toEqual(['RUNNING', 'QUEUED']);
    expect((await store.get(job.jobId))?.status).toBe('SUCCEEDED');
  });

  it('does not expire a job edited between its read and the write (a new generation): the stale message is acknowledged', async () => {
    // Prepare: the job is edited (new start-by time, generation 1) just before the worker writes EXPIRED.
    const store = new MemoryJobStore();
    const job = queuedJob({ startBy: new Date(NOW - 1).toISOString() });
    await store.create(job);
    const transition = store.transition.bind(store);
    store.transition = async (t: Transition) => {
      if (t.to === 'EXPIRED') await transition({ jobId: t.jobId, from: ['QUEUED'], to: 'QUEUED', set: { generation: 1, startBy: new Date(NOW + 3_600_000).toISOString() } });
      return transition(t);
    };
    const { worker, runs } = setup(store);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED', generation: 1 });
  });
});
