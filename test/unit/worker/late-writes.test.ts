import { describe, expect, it, vi } from 'vitest';
import { cancelJob } from '../../../functions/api/job-cancellation.js';
import type { JobContext } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** A handler whose runs each wait at a gate the test opens; `started` resolves as each run begins. */
function gatedHandler() {
  const runs: { ctx: JobContext; release: (result: string) => void }[] = [];
  let onStart: (() => void) | undefined;
  const handler = (_payload: unknown, ctx: JobContext) =>
    new Promise<string>((resolve) => {
      runs.push({ ctx, release: resolve });
      onStart?.();
    });
  const started = (count: number) =>
    new Promise<void>((resolve) => {
      const check = () => runs.length >= count && resolve();
      onStart = check;
      check();
    });
  return { handler, runs, started };
}

function setup(handler: (payload: unknown, ctx: JobContext) => Promise<string>, runningWriteDelayMs: number) {
  const store = new MemoryJobStore();
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
  const worker = new JobWorker(jobRegistry.analysis, handler, { store, queue, logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5, runningWriteDelayMs });
  return { store, worker };
}

describe('Class: JobWorker — late writes', () => {
  it('never lets a stale attempt overwrite a newer one', async () => {
    // Prepare: attempt 1 claims the job (RUNNING at once), then its lease runs out while it still
    // runs; the same message's next receive takes the job over as attempt 2.
    const { handler, runs, started } = gatedHandler();
    const { store, worker } = setup(handler, 0);
    const job = queuedJob();
    await store.create(job);
    const first = sqsRecord(job, 1);
    const firstDone = worker.processBatch(sqsEvent(first), invocation());
    await started(1);
    await vi.waitFor(async () => expect(await store.get(job.jobId)).toMatchObject({ status: 'RUNNING', attempt: 1 }));
    const second = { ...first, receiptHandle: `${first.receiptHandle}-2`, attributes: { ...first.attributes, ApproximateReceiveCount: '2' } };
    const secondDone = worker.processBatch(sqsEvent(second), invocation());
    await started(2);
    await vi.waitFor(async () => expect(await store.get(job.jobId)).toMatchObject({ status: 'RUNNING', attempt: 2 }));

    // Act: the stale attempt finishes first, then the newer one
    runs[0]!.release('from the stale attempt');
    const firstResponse = await firstDone;
    const afterStale = await store.get(job.jobId);
    runs[1]!.release('from the newer attempt');
    const secondResponse = await secondDone;

    // Assess: the stale outcome was refused and its delivery not acknowledged (the message is the newer one's)
    expect(runs.map((r) => r.ctx.attempt)).toEqual([1, 2]);
    expect(afterStale).toMatchObject({ status: 'RUNNING', attempt: 2 });
    expect(afterStale?.result).toBeUndefined();
    expect(firstResponse.batchItemFailures).toEqual([{ itemIdentifier: first.messageId }]);
    expect(secondResponse.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2, result: 'from the newer attempt' });
  });

  it('never lets a late completion overwrite CANCELLED', async () => {
    // Prepare: a job runs while its record still says QUEUED (RUNNING is written lazily), and is
    // cancelled meanwhile
    const { handler, runs, started } = gatedHandler();
    const { store, worker } = setup(handler, 60_000);
    const job = queuedJob();
    await store.create(job);
    const record = sqsRecord(job, 1);
    const done = worker.processBatch(sqsEvent(record), invocation());
    await started(1);
    const cancelled = await cancelJob(store, job.tenant, job.jobId, { now: () => new Date(), retentionDaysOf: () => undefined });

    // Act: the handler completes after the cancel
    runs[0]!.release('finished late');
    const response = await done;

    // Assess: CANCELLED stays, with no result; the message is acknowledged (nothing is left to do)
    expect(cancelled?.kind).toBe('cancelled');
    const stored = await store.get(job.jobId);
    expect(stored).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED' } });
    expect(stored?.result).toBeUndefined();
    expect(response.batchItemFailures).toEqual([]);
  });

  it('ends SUCCEEDED, with its result, a running job whose cancel came after its last progress write: the work was done', async () => {
    // Prepare: the job is RUNNING (claimed at once), then DELETE flags it
    const { handler, runs, started } = gatedHandler();
    const { store, worker } = setup(handler, 0);
    const job = queuedJob();
    await store.create(job);
    const done = worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());
    await started(1);
    await vi.waitFor(async () => expect(await store.get(job.jobId)).toMatchObject({ status: 'RUNNING' }));
    const requested = await cancelJob(store, job.tenant, job.jobId, { now: () => new Date(), retentionDaysOf: () => undefined });

    // Act: the handler returns without reporting progress again, so it never hears of the cancel
    runs[0]!.release('the report was sent');
    const response = await done;

    // Assess: the record tells what happened — the work is done — and that a cancel was asked for
    expect(requested?.kind).toBe('cancel-requested');
    expect(runs[0]!.ctx.signal.aborted).toBe(false);
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', result: 'the report was sent', cancelRequested: true });
  });
});
