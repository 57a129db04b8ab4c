import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchResponse, InvocationContext, JobHandler, SqsRecordLike } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { RetryableJobError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import { analysisJob } from '../../../shared/jobs/analysis.js';
import { defineJob } from '../../../shared/jobs/define.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import { analysisPayload, invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** A FIFO variant of the analysis type (no priority field: a FIFO type has no lanes). */
const fifoJob = defineJob({ type: 'analysis', description: 'FIFO test type', payload: analysisJob.payload.omit({ priority: true }), settings: { ordering: 'fifo', batchSize: 10, maxAttempts: 3 } });

const FIFO_ARN = 'arn:aws:sqs:us-east-1:123456789012:conveyor-test-analysis.fifo';

/** A job of `groupKey` and its FIFO record, as Lambda delivers it (MessageGroupId among the attributes). */
function fifoJobIn(groupKey: string, toolId: string): { job: JobRecord; record: SqsRecordLike } {
  const job = queuedJob({ groupKey, payload: analysisPayload({ toolId }) });
  const base = sqsRecord(job);
  return { job, record: { ...base, eventSourceARN: FIFO_ARN, attributes: { ...base.attributes, MessageGroupId: messageGroupIdOf(job.tenant, groupKey) } } };
}

function setup(handler: JobHandler<unknown>, store: JobStore = new MemoryJobStore()) {
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) } satisfies ConsumerQueue;
  const worker = new JobWorker(fifoJob, handler, { store, queue, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5 });
  return { queue, worker };
}

const toolIdOf = (payload: unknown) => (payload as { toolId: string }).toolId;

describe('Method: JobWorker.processBatch — FIFO batches', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs one group\'s records one after another, in batch order', async () => {
    // Prepare: each run yields before it ends, so runs that were started together would interleave
    const store = new MemoryJobStore();
    const events: string[] = [];
    const { worker } = setup(async (payload) => {
      events.push(`start ${toolIdOf(payload)}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      events.push(`end ${toolIdOf(payload)}`);
      return {};
    }, store);
    const jobs = ['a1', 'a2', 'a3'].map((id) => fifoJobIn('A', id));
    for (const { job } of jobs) await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(...jobs.map((j) => j.record)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(events).toEqual(['start a1', 'end a1', 'start a2', 'end a2', 'start a3', 'end a3']);
  });

  it('reads each record just before its run, not all at once (a group\'s later records run long after the batch starts)', async () => {
    // Prepare
    const store = new MemoryJobStore();
    const { worker } = setup(async () => ({}), store);
    const jobs = ['a1', 'a2'].map((id) => fifoJobIn('A', id));
    for (const { job } of jobs) await store.create(job);

    // Act
    await worker.processBatch(sqsEvent(...jobs.map((j) => j.record)), invocation());

    // Assess
    expect(store.reads.map((r) => r.kind)).toEqual(['get', 'get']);
  });

  it('runs different groups side by side', async () => {
    // Prepare: group A's job waits until group B's job has started — serialised groups would never get there
    const store = new MemoryJobStore();
    let bStarted: () => void = () => undefined;
    const bHasStarted = new Promise<void>((resolve) => (bStarted = resolve));
    const { worker } = setup(async (payload) => {
      if (toolIdOf(payload) === 'b1') bStarted();
      else await bHasStarted;
      return {};
    }, store);
    const a = fifoJobIn('A', 'a1');
    const b = fifoJobIn('B', 'b1');
    await store.create(a.job);
    await store.create(b.job);

    // Act
    const response = await worker.processBatch(sqsEvent(a.record, b.record), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await store.get(a.job.jobId))?.status).toBe('SUCCEEDED');
  });

  it('holds a group\'s records after one that fails: reported unrun and visible again at once; other groups go on', async () => {
    // Prepare: a2 fails (retryable); a3 is behind it in group A; b1 is another group
    const store = new MemoryJobStore();
    const ran: string[] = [];
    const { worker, queue } = setup(async (payload) => {
      ran.push(toolIdOf(payload));
      if (toolIdOf(payload) === 'a2') throw new RetryableJobError('not yet');
      return {};
    }, store);
    const [a1, a2, a3] = ['a1', 'a2', 'a3'].map((id) => fifoJobIn('A', id)) as [ReturnType<typeof fifoJobIn>, ReturnType<typeof fifoJobIn>, ReturnType<typeof fifoJobIn>];
    const b1 = fifoJobIn('B', 'b1');
    for (const { job } of [a1, a2, a3, b1]) await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(a1.record, a2.record, a3.record, b1.record), invocation());

    // Assess: the failed record and the one it holds are reported; a3 never ran and went back with visibility 0
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: a2.record.messageId }, { itemIdentifier: a3.record.messageId }]);
    expect(ran.sort()).toEqual(['a1', 'a2', 'b1']);
    expect((await store.get(a2.job.jobId))?.status).toBe('RETRYING');
    expect((await store.get(a3.job.jobId))?.status).toBe('QUEUED');
    expect((await store.get(b1.job.jobId))?.status).toBe('SUCCEEDED');
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', a3.record.receiptHandle, 0, FIFO_ARN);
    // The retry's backoff is set on the failed record itself
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', a2.record.receiptHandle, expect.any(Number), FIFO_ARN);
  });

  it('hands a DEAD job\'s message to the FIFO DLQ with its group and the source message id as deduplication id', async () => {
    // Prepare: the job's last attempt fails
    const store = new MemoryJobStore();
    const { worker, queue } = setup(async () => {
      throw new RetryableJobError('still broken');
    }, store);
    const a = fifoJobIn('A', 'a1');
    await store.create({ ...a.job, status: 'RETRYING', attempt: 2, messageId: a.record.messageId, receiveCount: 2 });

    // Act
    const response = await worker.processBatch(sqsEvent({ ...a.record, attributes: { ...a.record.attributes, ApproximateReceiveCount: '3' } }), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(queue.deadLetter).toHaveBeenCalledWith('analysis', a.record.body, { group: messageGroupIdOf(a.job.tenant, 'A'), deduplicationId: a.record.messageId });
  });

  it('starts no further record of a group once the batch has answered', async () => {
    // Prepare: 1 s left and a 1 s margin, so the batch answers at 0.5 s; a1's outcome write is stuck until then
    vi.useFakeTimers();
    const memory = new MemoryJobStore();
    let release: () => void = () => undefined;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const a1 = fifoJobIn('A', 'a1');
    const a2 = fifoJobIn('A', 'a2');
    const store: JobStore = {
      create: (job) => memory.create(job),
      get: (jobId, options) => memory.get(jobId, options),
      getMany: (jobIds, options) => memory.getMany(jobIds, options),
      transition: async (t) => {
        if (t.jobId === a1.job.jobId) await stuck;
        return memory.transition(t);
      },
      recordProgress: (...args) => memory.recordProgress(...args),
      discard: (jobId) => memory.discard(jobId),
      requestCancel: (jobId) => memory.requestCancel(jobId),
      clearWebhookPending: (jobId, finishedAt) => memory.clearWebhookPending(jobId, finishedAt),
      updateSendPending: (jobId, seen, next) => memory.updateSendPending(jobId, seen, next),
      clearSweep: (jobId, sweepAt) => memory.clearSweep(jobId, sweepAt),
    };
    const ran: string[] = [];
    const { worker } = setup(async (payload) => {
      ran.push(toolIdOf(payload));
      return {};
    }, store);
    await memory.create(a1.job);
    await memory.create(a2.job);
    const deadline = Date.now() + 1_000;
    const context: InvocationContext = { getRemainingTimeInMillis: () => deadline - Date.now() };
    let response: BatchResponse | undefined;

    // Act: the answer goes out with a1 still recording; then a1's write lands
    void worker.processBatch(sqsEvent(a1.record, a2.record), context).then((r) => (response = r));
    await vi.advanceTimersByTimeAsync(500);
    release();
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess: both were reported (they come back, in order); a2 did not start behind the answer
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: a1.record.messageId }, { itemIdentifier: a2.record.messageId }]);
    expect((await memory.get(a1.job.jobId))?.status).toBe('SUCCEEDED');
    expect(ran).toEqual(['a1']);
  });
});
