import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BatchResponse, InvocationContext } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import { queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** A store whose writes for the held jobs never return (a DynamoDB call stuck past the deadline). */
function storeHolding(inner: MemoryJobStore, held: ReadonlySet<string>): JobStore {
  const never = new Promise<never>(() => undefined);
  return {
    create: (job) => inner.create(job),
    get: (jobId, options) => inner.get(jobId, options),
    getMany: (jobIds, options) => inner.getMany(jobIds, options),
    transition: (t) => (held.has(t.jobId) ? never : inner.transition(t)),
    recordProgress: (jobId, attempt, progress, message) => (held.has(jobId) ? never : inner.recordProgress(jobId, attempt, progress, message)),
    discard: (jobId, options) => inner.discard(jobId, options),
    requestCancel: (jobId) => inner.requestCancel(jobId),
    clearWebhookPending: (jobId, finishedAt) => inner.clearWebhookPending(jobId, finishedAt),
    updateSendPending: (jobId, seen, next) => inner.updateSendPending(jobId, seen, next),
    clearSweep: (jobId, sweepAt) => inner.clearSweep(jobId, sweepAt),
  };
}

describe('Method: JobWorker.processBatch — answering before the Lambda deadline', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('answers at half the margin before the deadline and reports every record still being recorded', async () => {
    // Prepare: a clock the test moves; 10 s left, a 1 s margin, so the answer is due at 9.5 s.
    // Both handlers finish at once; one job's terminal write hangs.
    vi.useFakeTimers();
    const memory = new MemoryJobStore();
    const fast = queuedJob();
    const stuck = queuedJob();
    await memory.create(fast);
    await memory.create(stuck);
    const worker = new JobWorker(jobRegistry.analysis, async () => 'done', {
      store: storeHolding(memory, new Set([stuck.jobId])),
      followUps: new FollowUpFlusher({ store: memory, logger: silentLogger }),
      queue: { send: vi.fn(), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) },
      logger: silentLogger,
      timeoutMarginMs: 1_000,
      now: () => Date.now(),
    });
    const deadline = Date.now() + 10_000;
    const context: InvocationContext = { getRemainingTimeInMillis: () => deadline - Date.now() };
    const fastRecord = sqsRecord(fast);
    const stuckRecord = sqsRecord(stuck);
    let response: BatchResponse | undefined;

    // Act
    void worker.processBatch(sqsEvent(fastRecord, stuckRecord), context).then((r) => (response = r));
    await vi.advanceTimersByTimeAsync(9_499);
    const beforeDue = response;
    await vi.advanceTimersByTimeAsync(1);

    // Assess: no answer a moment early; then the finished record acknowledged, the one still being
    // recorded reported (it comes back; dropping it would leave its job RUNNING with no message)
    expect(beforeDue).toBeUndefined();
    expect(response?.batchItemFailures).toEqual([{ itemIdentifier: stuckRecord.messageId }]);
    expect(await memory.get(fast.jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(await memory.get(stuck.jobId)).toMatchObject({ status: 'QUEUED' });
  });
});
