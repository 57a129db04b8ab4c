import { afterEach, describe, expect, it, vi } from 'vitest';
import type { JobHandler } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { DependencyUnavailableError, PermanentJobError } from '../../../shared/domain/errors.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { analysisPayload, invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

function setup(handler: JobHandler<unknown>, options: { runningWriteDelayMs?: number; progressIntervalMs?: number; timeoutMarginMs?: number; now?: () => number } = {}) {
  const store = new MemoryJobStore();
  const queue: ConsumerQueue & { changeVisibility: ReturnType<typeof vi.fn>; deadLetter: ReturnType<typeof vi.fn> } = {
    send: vi.fn(async () => undefined),
    changeVisibility: vi.fn(async () => undefined),
    deadLetter: vi.fn(async () => undefined),
  };
  const worker = new JobWorker(jobRegistry.analysis, handler, {
    store,
    queue,
    followUps: new FollowUpFlusher({ store, logger: silentLogger }),
    logger: silentLogger,
    timeoutMarginMs: options.timeoutMarginMs ?? 1_000,
    random: () => 0.5,
    runningWriteDelayMs: options.runningWriteDelayMs ?? 1_000,
    progressIntervalMs: options.progressIntervalMs ?? 1_000,
    ...(options.now ? { now: options.now } : {}),
  });
  return { store, queue, worker };
}

describe('Class: JobWorker', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records a fast success with a single terminal write', async () => {
    // Prepare
    const { store, worker } = setup(async () => ({ ok: true }));
    const job = queuedJob();
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const stored = await store.get(job.jobId);
    expect(stored).toMatchObject({ status: 'SUCCEEDED', attempt: 1, progress: 100, result: { ok: true } });
    expect(stored?.startedAt).toBeDefined();
    expect(stored?.ttl).toBeGreaterThan(Date.now() / 1000);
    expect(store.writes.filter((w) => w.jobId === job.jobId).map((w) => w.kind)).toEqual(['create', 'transition']);
  });

  it('drops the holder\'s message id from a SUCCEEDED or FAILED record, and keeps it on a DEAD one', async () => {
    // Prepare: a record a RUNNING claim left with its message id; one job succeeds, one fails for good,
    // one fails its last attempt
    const { store, worker } = setup(async (payload) => {
      const toolId = (payload as { toolId: string }).toolId;
      if (toolId === 'permanent') throw new PermanentJobError('no');
      if (toolId === 'dead') throw new Error('again');
      return { ok: true };
    });
    const ok = queuedJob({ status: 'RUNNING', attempt: 1, messageId: 'm-old', receiveCount: 1 });
    const failed = queuedJob({ payload: analysisPayload({ toolId: 'permanent' }) });
    const dead = queuedJob({ status: 'RETRYING', attempt: 2, messageId: 'm-dead', receiveCount: 2, payload: analysisPayload({ toolId: 'dead' }) });
    for (const job of [ok, failed, dead]) await store.create(job);
    const deadRecord = sqsRecord(dead, 3, { messageId: 'm-dead' });

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(ok, 2, { messageId: 'm-old' }), sqsRecord(failed), deadRecord), invocation());

    // Assess: only a DEAD record is ever compared with a delivery's message id (delivery.ts)
    expect(await store.get(ok.jobId)).toMatchObject({ status: 'SUCCEEDED' });
    for (const finished of [ok, failed]) {
      expect(await store.get(finished.jobId)).not.toHaveProperty('messageId');
      expect(await store.get(finished.jobId)).not.toHaveProperty('receiveCount');
    }
    expect(await store.get(dead.jobId)).toMatchObject({ status: 'DEAD', messageId: deadRecord.messageId, receiveCount: 3 });
  });

  it('keeps progress reported within the lazy-RUNNING delay in memory: a fast job writes once', async () => {
    // Prepare
    const { store, worker } = setup(async (_payload, ctx) => {
      for (let p = 10; p <= 90; p += 10) await ctx.progress(p);
      return 'done';
    });
    const job = queuedJob();
    await store.create(job);

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess: only the terminal write, carrying the final progress.
    expect(store.writes.filter((w) => w.jobId === job.jobId).map((w) => w.to ?? w.kind)).toEqual(['create', 'SUCCEEDED']);
    expect((await store.get(job.jobId))?.progress).toBe(100);
  });

  it('writes RUNNING at the first progress call after the delay and throttles later progress writes', async () => {
    // Prepare
    const { store, worker } = setup(async (_payload, ctx) => {
      for (let p = 10; p <= 90; p += 10) await ctx.progress(p);
      return 'done';
    }, { runningWriteDelayMs: 0 });
    const job = queuedJob();
    await store.create(job);

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess: RUNNING (with 10) then the terminal write; the 8 calls in between coalesced away.
    expect(store.writes.filter((w) => w.jobId === job.jobId).map((w) => w.to ?? w.kind)).toEqual(['create', 'RUNNING', 'SUCCEEDED']);
    expect((await store.get(job.jobId))?.progress).toBe(100);
  });

  it('acknowledges a permanent failure and marks the job FAILED at once', async () => {
    // Prepare
    const { store, queue, worker } = setup(async () => {
      throw new PermanentJobError('hopeless input', 'BAD_INPUT');
    });
    const job = queuedJob();
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'BAD_INPUT', message: 'hopeless input' } });
    expect(queue.changeVisibility).not.toHaveBeenCalled();
  });

  it('marks a payload that fails the schema FAILED without running the handler', async () => {
    // Prepare
    const handler = vi.fn(async () => 'never');
    const { store, worker } = setup(handler);
    const job = queuedJob({ payload: { toolId: 't', url: 'not a url', description: 'x' } });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'VALIDATION_FAILED' } });
  });

  it('retries a transient failure with a jittered backoff visibility and reports the item', async () => {
    // Prepare
    const { store, queue, worker } = setup(async () => {
      throw new Error('flaky upstream');
    });
    const job = queuedJob({ status: 'RETRYING', attempt: 1, messageId: 'm-1', receiveCount: 1 });
    await store.create(job);
    const record = sqsRecord(job, 2, { messageId: 'm-1' });

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess: attempt 2 of 3, ceiling base·2^(2-1) = 4 s, jitter 0.5 → 2 s.
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', record.receiptHandle, 2, record.eventSourceARN);
    const stored = await store.get(job.jobId);
    expect(stored).toMatchObject({ status: 'RETRYING', attempt: 2, error: { code: 'Error', message: 'flaky upstream' } });
    expect(Date.parse(stored!.nextAttemptAt!)).toBeGreaterThan(Date.now());
  });

  it('marks the job DEAD on its last attempt, hands its message to the DLQ and acknowledges it', async () => {
    // Prepare
    const { store, queue, worker } = setup(async () => {
      throw new Error('still broken');
    });
    const job = queuedJob({ status: 'RETRYING', attempt: 2, messageId: 'm-1', receiveCount: 2 });
    await store.create(job);
    const record = sqsRecord(job, 3, { messageId: 'm-1' });

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.deadLetter).toHaveBeenCalledExactlyOnceWith('analysis', record.body, { group: messageGroupIdOf(job.tenant), deduplicationId: record.messageId });
    expect(queue.changeVisibility).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', attempt: 3 });
  });

  it('leaves a DEAD job\'s message for redelivery when the DLQ cannot be reached, and hands it on then', async () => {
    // Prepare: a clock the test moves
    let now = Date.now();
    const { store, queue, worker } = setup(async () => {
      throw new Error('still broken');
    }, { now: () => now });
    const job = queuedJob({ status: 'RETRYING', attempt: 2, messageId: 'm-1', receiveCount: 2 });
    await store.create(job);
    const record = sqsRecord(job, 3, { messageId: 'm-1', attributes: { ApproximateReceiveCount: '3', SentTimestamp: String(now - 60_000) } });
    queue.deadLetter.mockRejectedValueOnce(new Error('sqs unreachable'));

    // Act: the message comes back after its visibility timeout (6 × the 30 s function timeout)
    const first = await worker.processBatch(sqsEvent(record), invocation());
    now += 180_000;
    const again = await worker.processBatch(sqsEvent({ ...record, receiptHandle: 'rh-again', attributes: { ...record.attributes, ApproximateReceiveCount: '4' } }), invocation());

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(again.batchItemFailures).toEqual([]);
    expect(queue.deadLetter).toHaveBeenCalledTimes(2);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', attempt: 3 });
  });

  it('never lets one failing record fail the others in its batch', async () => {
    // Prepare
    const { store, worker } = setup(async (payload) => {
      if ((payload as { toolId: string }).toolId === 'bad') throw new Error('boom');
      return 'fine';
    });
    const good = queuedJob();
    const bad = queuedJob({ payload: { toolId: 'bad', url: 'https://x.dev', description: 'x' } });
    await store.create(good);
    await store.create(bad);
    const badRecord = sqsRecord(bad);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(good), badRecord), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: badRecord.messageId }]);
    expect((await store.get(good.jobId))?.status).toBe('SUCCEEDED');
  });

  it('reads every record of a batch in one store call before running any', async () => {
    // Prepare: three jobs, one of them delivered twice, and a message whose job has no record
    const { store, worker } = setup(async () => 'done');
    const jobs = [queuedJob(), queuedJob(), queuedJob()];
    for (const job of jobs) await store.create(job);
    const orphan = queuedJob();
    const records = [...jobs.map((job) => sqsRecord(job)), sqsRecord(jobs[0]!, 1, { messageId: 'copy-of-first' }), sqsRecord(orphan)];

    // Act
    const response = await worker.processBatch(sqsEvent(...records), invocation());

    // Assess: one batch read of the four distinct ids first; the only single read after it is the
    // copy's, whose terminal write lost to the first delivery's (it re-reads, then acknowledges)
    expect(response.batchItemFailures).toEqual([]);
    expect(store.reads[0]).toEqual({ kind: 'getMany', jobIds: [...jobs.map((j) => j.jobId), orphan.jobId], consistent: true });
    expect(store.reads.slice(1)).toEqual([{ kind: 'get', jobId: jobs[0]!.jobId, consistent: true }]);
    for (const job of jobs) expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
  });

  it('reads each record on its own when the batch read fails, so one store blip costs no attempt', async () => {
    // Prepare: the batch read is down (every try); single reads work
    const { store, worker } = setup(async () => 'done');
    const jobs = [queuedJob(), queuedJob()];
    for (const job of jobs) await store.create(job);
    vi.spyOn(store, 'getMany').mockRejectedValue(new DependencyUnavailableError('dynamodb', 'injected: batch read down'));

    // Act
    const response = await worker.processBatch(sqsEvent(...jobs.map((job) => sqsRecord(job))), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    for (const job of jobs) expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('acknowledges a duplicate delivery of a finished job without touching it', async () => {
    // Prepare
    const { store, worker } = setup(async () => 'second run');
    const job = queuedJob({ status: 'SUCCEEDED', attempt: 1, result: 'first run' });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 2)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', result: 'first run' });
  });

  it('counts an overrun as a failed attempt: the signal aborts before the deadline', async () => {
    // Prepare
    let sawAbort = false;
    const { store, worker } = setup(async (_p, ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      sawAbort = true;
      await new Promise(() => undefined); // ignores the signal from here on
    }, { timeoutMarginMs: 100 });
    const job = queuedJob();
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation(300));

    // Assess
    expect(sawAbort).toBe(true);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'RETRYING', error: { code: 'TIMEOUT' } });
  });

  it('aborts a running job flagged as cancelled at its next progress call', async () => {
    // Prepare
    const { store, worker } = setup(async (_p, ctx) => {
      await ctx.progress(10);
      await store.requestCancel(ctx.jobId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await ctx.progress(20); // throttled: no write yet, so no news of the cancel
      await new Promise((resolve) => setTimeout(resolve, 30));
      await ctx.progress(30); // interval elapsed: this write returns cancelRequested
      return 'should not finish';
    }, { progressIntervalMs: 20, runningWriteDelayMs: 0 });
    const job = queuedJob();
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED' } });
  });

  it('acknowledges a poison message that names no job', async () => {
    // Prepare
    const { worker } = setup(async () => 'x');

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(queuedJob(), 1, { body: 'not json' })), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
  });

  it('reports the item when the store is down, so the message is redelivered', async () => {
    // Prepare
    const { store, worker } = setup(async () => 'x');
    const job = queuedJob();
    await store.create(job);
    vi.spyOn(store, 'transition').mockRejectedValue(new Error('dynamodb unreachable'));
    const record = sqsRecord(job);

    // Act
    const response = await worker.processBatch(sqsEvent(record), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
  });
});
