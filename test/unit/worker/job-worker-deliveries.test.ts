import { describe, expect, it, vi } from 'vitest';
import type { JobHandler } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { DependencyUnavailableError, RetryableJobError } from '../../../shared/domain/errors.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

function setup(handler: JobHandler<unknown>, options: { timeoutMarginMs?: number } = {}) {
  const store = new MemoryJobStore();
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined) } satisfies JobQueue;
  const runs = vi.fn(handler);
  const worker = new JobWorker(jobRegistry.analysis, runs, {
    store, queue, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: options.timeoutMarginMs ?? 1_000, random: () => 0.5, storeRetryDelaysMs: [1, 1],
  });
  return { store, queue, worker, runs };
}

describe('Class: JobWorker — what each delivery means', () => {
  it('reclaims a RUNNING job whose lease ran out (a newer receive count) and finishes it', async () => {
    // Prepare: attempt 1 died while RUNNING; its message came back as receive 2.
    const { store, worker } = setup(async () => 'ok');
    const job = queuedJob({ status: 'RUNNING', attempt: 1, progress: 40 });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 2)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2, result: 'ok' });
  });

  it('leaves a delivery alone while a newer one holds the job: no ack, no visibility change, no run', async () => {
    const { store, worker, queue, runs } = setup(async () => 'ok');
    const job = queuedJob({ status: 'RUNNING', attempt: 2 });
    await store.create(job);
    const record = sqsRecord(job, 2);

    const response = await worker.processBatch(sqsEvent(record), invocation());

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(queue.changeVisibility).not.toHaveBeenCalled();
    expect(runs).not.toHaveBeenCalled();
    expect((await store.get(job.jobId))?.status).toBe('RUNNING');
  });

  it('does not acknowledge a failed attempt whose job a newer delivery took over meanwhile', async () => {
    // Prepare: while attempt 1 runs, its lease runs out and attempt 2 claims the job.
    const { store, worker } = setup(async (_p, ctx) => {
      await store.transition({ jobId: ctx.jobId, from: ['QUEUED'], to: 'RUNNING', set: { attempt: 2 } });
      throw new RetryableJobError('attempt 1 fails late');
    });
    const job = queuedJob();
    await store.create(job);
    const record = sqsRecord(job, 1);

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess: acknowledging would delete the message attempt 2 still needs for its own retry.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'RUNNING', attempt: 2 });
  });

  it('ends a job flagged for cancellation while it waited for a retry, without running it', async () => {
    const { store, worker, runs } = setup(async () => 'ok');
    const job = queuedJob({ status: 'RETRYING', attempt: 1, cancelRequested: true });
    await store.create(job);

    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 2)), invocation());

    expect(response.batchItemFailures).toEqual([]);
    expect(runs).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'CANCELLED' });
  });

  it('skips a QUEUED job cancelled before its delivery, without running it', async () => {
    const { store, worker, runs } = setup(async () => 'ok');
    const job = queuedJob({ status: 'CANCELLED', finishedAt: new Date().toISOString() });
    await store.create(job);

    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    expect(response.batchItemFailures).toEqual([]);
    expect(runs).not.toHaveBeenCalled();
  });

  it('tries a store write again after a blip instead of losing the attempt', async () => {
    // Prepare: the terminal write fails once with the store unavailable.
    const { store, worker } = setup(async () => 'ok');
    const job = queuedJob();
    await store.create(job);
    const transition = store.transition.bind(store);
    let failures = 1;
    vi.spyOn(store, 'transition').mockImplementation(async (t) => {
      if (failures-- > 0) throw new DependencyUnavailableError('dynamodb', 'blip');
      return transition(t);
    });

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
  });

  it('counts an overrun as a failed attempt even when the handler ignores its signal', async () => {
    // Prepare: 1.2 s left, a 1 s margin — the signal fires after ~200 ms; the handler never looks at it.
    const { store, worker, queue } = setup(() => new Promise(() => undefined), { timeoutMarginMs: 1_000 });
    const job = queuedJob();
    await store.create(job);
    const record = sqsRecord(job, 1);

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation(1_200));

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'RETRYING', attempt: 1, error: { code: 'TIMEOUT' } });
    expect(queue.changeVisibility).toHaveBeenCalledTimes(1);
  });
});
