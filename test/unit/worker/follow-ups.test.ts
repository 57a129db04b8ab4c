import { describe, expect, it, vi } from 'vitest';
import type { JobHandler } from '../../../functions/worker/context.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import type { WebhookDelivery } from '../../../functions/webhooks/delivery.js';
import { RetryableJobError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const never = new Promise<never>(() => undefined);

/** A consumer's view of the store that dies right after its first terminal write lands. */
function diesAfterTerminalWrite(store: JobStore): JobStore {
  let dead = false;
  return {
    create: (job) => (dead ? never : store.create(job)),
    get: (jobId, options) => (dead ? never : store.get(jobId, options)),
    getMany: (jobIds, options) => (dead ? never : store.getMany(jobIds, options)),
    recordProgress: (jobId, attempt, progress, message) => (dead ? never : store.recordProgress(jobId, attempt, progress, message)),
    discard: (jobId) => (dead ? never : store.discard(jobId)),
    requestCancel: (jobId) => (dead ? never : store.requestCancel(jobId)),
    clearWebhookPending: (jobId, finishedAt) => (dead ? never : store.clearWebhookPending(jobId, finishedAt)),
    updateSendPending: (jobId, seen, next) => (dead ? never : store.updateSendPending(jobId, seen, next)),
    clearSweep: (jobId, sweepAt) => (dead ? never : store.clearSweep(jobId, sweepAt)),
    transition: async (change) => {
      if (dead) return never;
      const record = await store.transition(change);
      if (['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'].includes(change.to)) {
        dead = true;
        return never;
      }
      return record;
    },
  };
}

function setup() {
  const store = new MemoryJobStore();
  const queue: ConsumerQueue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
  const webhooks: WebhookDelivery[] = [];
  const outbox = { enqueue: async (delivery: WebhookDelivery) => void webhooks.push(delivery) };
  const worker = (handler: JobHandler<unknown>, view: JobStore) =>
    new JobWorker(jobRegistry.analysis, handler, {
      store: view,
      followUps: new FollowUpFlusher({ store: view, outbox, logger: silentLogger }),
      queue,
      logger: silentLogger,
      timeoutMarginMs: 1_000,
      random: () => 0.5,
      storeRetryDelaysMs: [0],
    });
  return { store, webhooks, worker };
}

/** Runs one delivery whose consumer dies after the terminal write; resolves once that write landed. */
async function deliverAndDie(store: MemoryJobStore, worker: JobWorker<unknown>, job: JobRecord, receiveCount: number): Promise<void> {
  void worker.processBatch(sqsEvent(sqsRecord(job, receiveCount)), invocation());
  for (let i = 0; i < 100 && !['SUCCEEDED', 'FAILED', 'DEAD'].includes(store.jobs.get(job.jobId)!.status); i++) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('Function: JobWorker — a terminal write and its follow-ups', () => {
  it('queues the webhook on the redelivery when the consumer died between the status write and the flush', async () => {
    // Prepare
    const { store, webhooks, worker } = setup();
    const job = queuedJob({ callbackUrl: 'https://hooks.example.com/done' });
    await store.create(job);
    await deliverAndDie(store, worker(async () => ({ ok: true }), diesAfterTerminalWrite(store)), job, 1);
    const afterCrash = webhooks.length;

    // Act: the message was never acknowledged, so it comes back to a healthy consumer
    const response = await worker(async () => ({ ok: true }), store).processBatch(sqsEvent(sqsRecord(job, 2)), invocation());

    // Assess
    expect(afterCrash).toBe(0);
    expect(response.batchItemFailures).toEqual([]);
    expect(store.jobs.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(webhooks.map((w) => w.jobId)).toEqual([job.jobId]);
    expect(JSON.parse(webhooks[0]!.body)).toMatchObject({ event: 'job.finished', jobId: job.jobId, status: 'SUCCEEDED' });
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('webhookPending');
  });

  it('flushes a terminal record\'s pending webhook on a delivery the generation verdicts acknowledge without reading on (a stale copy)', async () => {
    // Prepare: the job ended at generation 3 (it was retried by id) and its writer died before the flush;
    // what comes back is a copy of its generation-2 message.
    const { store, webhooks, worker } = setup();
    const finishedAt = '2026-11-23T12:00:00.000Z';
    const job = queuedJob({ callbackUrl: 'https://hooks.example.com/done', generation: 3 });
    await store.create({ ...job, status: 'SUCCEEDED', attempt: 1, finishedAt, result: { ok: true }, webhookPending: finishedAt, sweepAt: '2026-11-23T12:01:00.000Z' });

    // Act
    const response = await worker(async () => ({ ok: true }), store).processBatch(sqsEvent(sqsRecord({ ...job, generation: 2 })), invocation());

    // Assess: acknowledged without a run, and the webhook queued once with its marker cleared
    expect(response.batchItemFailures).toEqual([]);
    expect(webhooks.map((w) => w.jobId)).toEqual([job.jobId]);
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('webhookPending');
  });

  it('lists a DEAD job among its type\'s dead letters in the very write that makes it DEAD', async () => {
    // Prepare: the last attempt fails, and its consumer dies right after recording DEAD
    const { store, worker } = setup();
    const job = queuedJob({ status: 'RETRYING', attempt: 2 });
    await store.create(job);

    // Act
    await deliverAndDie(store, worker(async () => {
      throw new RetryableJobError('still down');
    }, diesAfterTerminalWrite(store)), job, 3);

    // Assess: nothing after the write ran, yet the record itself says where it is listed
    const dead = store.jobs.get(job.jobId)!;
    expect(dead.status).toBe('DEAD');
    expect(dead).toMatchObject({ deadLetterType: 'analysis', deadLetterUntil: expect.any(Number) });
  });
});
