import { describe, expect, it, vi } from 'vitest';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import type { WebhookDelivery } from '../../../functions/webhooks/delivery.js';
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
  const webhooks: WebhookDelivery[] = [];
  const followUps = new FollowUpFlusher({ store, outbox: { enqueue: async (delivery) => void webhooks.push(delivery) }, logger: silentLogger });
  const worker = new JobWorker(jobRegistry.analysis, runs, { store, queue, followUps, logger: silentLogger, timeoutMarginMs: 1_000, now: () => NOW, storeRetryDelaysMs: [1, 1] });
  return { store, queue, worker, runs, statusAtStart, webhooks };
}

describe('Class: JobWorker — ttlSeconds (a start-by time)', () => {
  it('records the completion webhook of an EXPIRED job with its status, queues it, then clears the marker (a terminal write like the others)', async () => {
    // Prepare
    const { store, worker, webhooks } = setup();
    const job = queuedJob({ startBy: new Date(NOW - 1).toISOString(), callbackUrl: 'https://hooks.example.com/expired', sendPending: 'pending' });
    await store.create(job);
    const written: Transition[] = [];
    const transition = store.transition.bind(store);
    store.transition = async (t) => {
      written.push(t);
      return transition(t);
    };

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess: the EXPIRED write itself owed the webhook; it was queued and the marker cleared.
    expect(response.batchItemFailures).toEqual([]);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({ to: 'EXPIRED', set: { webhookPending: new Date(NOW).toISOString() } });
    expect(written[0]!.remove).toContain('sendPending');
    expect(webhooks.map((w) => [w.jobId, (JSON.parse(w.body) as { status: string }).status])).toEqual([[job.jobId, 'EXPIRED']]);
    const after = await store.get(job.jobId);
    expect(after).toMatchObject({ status: 'EXPIRED' });
    expect(after?.webhookPending).toBeUndefined();
    expect(after?.sendPending).toBeUndefined();
  });

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

describe('Class: JobWorker — an edit during the first second of a lazy run (RUNNING not yet written)', () => {
  it('fences the run (its outcome is not recorded) and runs the job once more, from the edit’s message, with the edited payload', async () => {
    // Prepare: the handler of the first delivery waits while the job is edited (generation 1).
    const store = new MemoryJobStore();
    const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) } satisfies ConsumerQueue;
    let edited!: () => void;
    const editDone = new Promise<void>((resolve) => (edited = resolve));
    const seen: string[] = [];
    const worker = new JobWorker(jobRegistry.analysis, async (payload: { description: string }, ctx) => {
      seen.push(payload.description);
      if (seen.length === 1) {
        await store.transition({ jobId: ctx.jobId, from: ['QUEUED'], to: 'QUEUED', expectGeneration: 0, set: { generation: 1, payload: { ...(await store.get(ctx.jobId))!.payload as object, description: 'edited' } } });
        edited();
      }
      return payload.description;
    }, { store, queue, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 1_000, runningWriteDelayMs: 60_000, storeRetryDelaysMs: [1, 1] });
    const job = queuedJob();
    await store.create(job);

    // Act
    const first = await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());
    await editDone;
    const afterFirst = await store.get(job.jobId);
    const second = await worker.processBatch(sqsEvent(sqsRecord({ ...job, generation: 1 }, 1)), invocation());

    // Assess: the first run's result was never recorded; the edit's message ran the edited job.
    expect(first.batchItemFailures).toEqual([]);
    expect(afterFirst).toMatchObject({ status: 'QUEUED', generation: 1 });
    expect(afterFirst?.result).toBeUndefined();
    expect(second.batchItemFailures).toEqual([]);
    expect(seen).toEqual([job.payload && (job.payload as { description: string }).description, 'edited']);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: 'edited' });
  });
});
