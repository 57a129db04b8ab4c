import { describe, expect, it, vi } from 'vitest';
import type { JobHandler } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { DependencyUnavailableError, RetryableJobError } from '../../../shared/domain/errors.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { queueSettingsOf } from '../../../shared/jobs/derived.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import type { JobContext } from '../../../functions/worker/context.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { EDIT_GRACE_SECONDS, EDIT_RETRY_SECONDS } from '../../../functions/worker/delivery.js';

function setup(handler: JobHandler<unknown>, options: { timeoutMarginMs?: number } = {}) {
  const store = new MemoryJobStore();
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) } satisfies ConsumerQueue;
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

  it('counts handler runs, not receives: a first run on the third receive (two were throttled) is attempt 1', async () => {
    // Prepare: the Lambda was throttled twice; SQS counted both receives, the handler never ran
    const attempts: number[] = [];
    const { store, worker, queue } = setup(async (_p, ctx: JobContext) => {
      attempts.push(ctx.attempt);
      throw new RetryableJobError('upstream busy');
    });
    const job = queuedJob();
    await store.create(job);
    const record = sqsRecord(job, 3);

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess: attempt 1 of 3 failed and retries (backoff of attempt 1: ceiling 2 s, jitter 0.5 → 1 s)
    expect(attempts).toEqual([1]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'RETRYING', attempt: 1, messageId: record.messageId, receiveCount: 3 });
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', record.receiptHandle, 1, record.eventSourceARN);
    expect(queue.deadLetter).not.toHaveBeenCalled();
  });

  it('runs the next attempt from the record when a retry comes back after throttled receives', async () => {
    // Prepare: attempt 1 failed on receive 1; receives 2–5 were throttled
    const attempts: number[] = [];
    const { store, worker } = setup(async (_p, ctx: JobContext) => {
      attempts.push(ctx.attempt);
      return 'ok';
    });
    const first = sqsRecord(queuedJob(), 1);
    const job = queuedJob({ status: 'RETRYING', attempt: 1, messageId: first.messageId, receiveCount: 1 });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent({ ...first, body: sqsRecord(job).body, attributes: { ...first.attributes, ApproximateReceiveCount: '6' } }), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(attempts).toEqual([2]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
  });

  it('hands a job that failed its last attempt to the DLQ itself, then acknowledges the message', async () => {
    // Prepare: attempts 1 and 2 failed (the second on receive 2)
    const { store, worker, queue } = setup(async () => {
      throw new RetryableJobError('still down');
    });
    const previous = sqsRecord(queuedJob(), 2);
    const job = queuedJob({ status: 'RETRYING', attempt: 2, messageId: previous.messageId, receiveCount: 2 });
    await store.create(job);
    const record = { ...previous, body: sqsRecord(job).body, receiptHandle: 'rh-3', attributes: { ...previous.attributes, ApproximateReceiveCount: '3' } };

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', attempt: 3, messageId: record.messageId, receiveCount: 3 });
    expect(queue.deadLetter).toHaveBeenCalledExactlyOnceWith('analysis', record.body, { group: messageGroupIdOf(job.tenant), deduplicationId: record.messageId });
    expect(response.batchItemFailures).toEqual([]);
  });

  it('hands a DEAD job’s own message on again when the hand-off was never acknowledged, and acknowledges a copy', async () => {
    // Prepare: the consumer that recorded DEAD died before its message was acknowledged
    const { store, worker, queue, runs } = setup(async () => 'never');
    const own = sqsRecord(queuedJob(), 4);
    const job = queuedJob({ status: 'DEAD', attempt: 3, messageId: own.messageId, receiveCount: 3, finishedAt: new Date(Date.now() - 600_000).toISOString() });
    await store.create(job);
    const redelivered = { ...own, body: sqsRecord(job).body, attributes: { ...own.attributes, SentTimestamp: String(Date.now() - 900_000) } };
    const copy = sqsRecord(job, 1, { attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now() - 900_000) } });

    // Act
    const response = await worker.processBatch(sqsEvent(redelivered, copy), invocation());

    // Assess
    expect(runs).not.toHaveBeenCalled();
    expect(queue.deadLetter).toHaveBeenCalledExactlyOnceWith('analysis', redelivered.body, { group: messageGroupIdOf(job.tenant), deduplicationId: redelivered.messageId });
    expect(response.batchItemFailures).toEqual([]);
  });

  it('buries a job whose last recorded attempt died RUNNING (ATTEMPT_LOST), without running it', async () => {
    // Prepare: attempt 3 of 3 wrote RUNNING on receive 3, then its consumer died; the lease ran out
    const { store, worker, queue, runs } = setup(async () => 'never');
    const holder = sqsRecord(queuedJob(), 3);
    const job = queuedJob({ status: 'RUNNING', attempt: 3, messageId: holder.messageId, receiveCount: 3 });
    await store.create(job);
    const record = { ...holder, body: sqsRecord(job).body, receiptHandle: 'rh-4', attributes: { ...holder.attributes, ApproximateReceiveCount: '4' } };

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess
    expect(runs).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', attempt: 3, error: { code: 'ATTEMPT_LOST' } });
    expect(queue.deadLetter).toHaveBeenCalledOnce();
    expect(response.batchItemFailures).toEqual([]);
  });

  it('leaves an older receive of the holder’s message alone, and lets a later one take over as the next attempt', async () => {
    // Prepare: attempt 1 claimed the job on receive 2
    const attempts: number[] = [];
    const { store, worker, queue } = setup(async (_p, ctx: JobContext) => {
      attempts.push(ctx.attempt);
      return 'ok';
    });
    const holder = sqsRecord(queuedJob(), 2);
    const job = queuedJob({ status: 'RUNNING', attempt: 1, messageId: holder.messageId, receiveCount: 2 });
    await store.create(job);
    const body = sqsRecord(job).body;
    const older = { ...holder, body, attributes: { ...holder.attributes, ApproximateReceiveCount: '1' } };
    const later = { ...holder, body, receiptHandle: 'rh-3', attributes: { ...holder.attributes, ApproximateReceiveCount: '3' } };

    // Act
    const olderResponse = await worker.processBatch(sqsEvent(older), invocation());
    const afterOlder = await store.get(job.jobId);
    const laterResponse = await worker.processBatch(sqsEvent(later), invocation());

    // Assess
    expect(olderResponse.batchItemFailures).toEqual([{ itemIdentifier: older.messageId }]);
    expect(afterOlder).toMatchObject({ status: 'RUNNING', attempt: 1 });
    expect(queue.changeVisibility).not.toHaveBeenCalled();
    expect(attempts).toEqual([2]);
    expect(laterResponse.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
  });

  it('buries a message at the receive-count safety net instead of running it again (RECEIVE_LIMIT)', async () => {
    // Prepare: a message received as often as the redrive policy allows, with nothing recorded (its
    // consumer keeps dying within the lazy-RUNNING delay)
    const { store, worker, queue, runs } = setup(async () => 'never');
    const job = queuedJob();
    await store.create(job);
    const record = sqsRecord(job, queueSettingsOf(jobRegistry.analysis).maxReceiveCount);

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess
    expect(runs).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', attempt: 0, error: { code: 'RECEIVE_LIMIT' } });
    expect(queue.deadLetter).toHaveBeenCalledOnce();
    expect(response.batchItemFailures).toEqual([]);
  });

  it('defers an edit’s message that arrives before the edit is recorded, and acknowledges it once the edit surely failed', async () => {
    // Prepare: the record is at generation 0; the message is the edit's (generation 1).
    const { store, worker, queue, runs } = setup(async () => 'ok');
    const job = queuedJob();
    await store.create(job);
    const early = sqsRecord({ ...job, generation: 1 }, 1, { attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) } });
    const orphan = sqsRecord({ ...job, generation: 1 }, 1, { attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now() - EDIT_GRACE_SECONDS * 1000 - 1) } });

    // Act
    const deferred = await worker.processBatch(sqsEvent(early), invocation());
    const acknowledged = await worker.processBatch(sqsEvent(orphan), invocation());

    // Assess
    expect(deferred.batchItemFailures).toEqual([{ itemIdentifier: early.messageId }]);
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', early.receiptHandle, EDIT_RETRY_SECONDS, early.eventSourceARN);
    expect(acknowledged.batchItemFailures).toEqual([]);
    expect(runs).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED', attempt: 0 });
  });
});
