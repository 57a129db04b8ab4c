import { describe, expect, it, vi } from 'vitest';
import type { JobHandler } from '../../../functions/worker/context.js';
import { withDeadLetterIndex } from '../../../functions/worker/dead-letter-tracking.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { RetryableJobError } from '../../../shared/domain/errors.js';
import type { JobDefinition } from '../../../shared/jobs/define.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

function setup(definition: JobDefinition, handler: JobHandler<unknown>) {
  const store = new MemoryJobStore();
  const queue: ConsumerQueue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
  const added: string[] = [];
  const index: DeadLetterIndex = {
    add: async (job) => void added.push(job.jobId),
    list: async () => ({ entries: [] }),
    remove: async () => undefined,
    count: async () => 0,
  };
  const worker = new JobWorker(definition, handler, {
    store: withDeadLetterIndex(store, index),
    queue,
    logger: silentLogger,
    timeoutMarginMs: 1_000,
    random: () => 0.5,
  });
  return { store, worker, added };
}

/** A message body as it was sent for `generation` (absent = the enqueue message). */
function recordWithGeneration(job: ReturnType<typeof queuedJob>, generation?: number, receiveCount = 1) {
  return sqsRecord(job, receiveCount, { body: JSON.stringify({ jobId: job.jobId, type: job.type, ...(generation !== undefined ? { generation } : {}) }) });
}

describe('Function: JobWorker — redrive and retry deliveries', () => {
  it('runs a redriven delivery (receive count 1) for a record put back to QUEUED at attempt 0', async () => {
    // Prepare: what the redrive endpoint leaves behind
    const handler = vi.fn(async () => 'ok');
    const { store, worker } = setup(jobRegistry.analysis, handler);
    const job = queuedJob({ attempt: 0, redriveCount: 1, error: { code: 'X', message: 'last failure' } });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(recordWithGeneration(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 1, redriveCount: 1 });
    expect((await store.get(job.jobId))?.error).toBeUndefined();
  });

  it('acknowledges an older message of a retried job without running it, and runs the current one', async () => {
    // Prepare: the job was retried by id (generation 1, payload edited); its old copy comes back from the DLQ
    const handler = vi.fn(async (payload: unknown) => (payload as { toolId: string }).toolId);
    const { store, worker } = setup(jobRegistry.analysis, handler);
    const job = queuedJob({ attempt: 0, generation: 1, payload: { ...queuedJob().payload as object, toolId: 'edited' } });
    await store.create(job);
    // (in the older message format, which carried the payload it was sent with)
    const stale = sqsRecord(job, 1, { body: JSON.stringify({ jobId: job.jobId, type: job.type, tenant: job.tenant, payload: { ...(job.payload as object), toolId: 'original' } }) });

    // Act
    const staleOutcome = await worker.processBatch(sqsEvent(stale), invocation());
    const afterStale = await store.get(job.jobId);
    const currentOutcome = await worker.processBatch(sqsEvent(recordWithGeneration(job, 1)), invocation());

    // Assess
    expect(staleOutcome.batchItemFailures).toEqual([]); // acknowledged: it must not come back
    expect(afterStale).toMatchObject({ status: 'QUEUED', attempt: 0, generation: 1 });
    expect(handler).toHaveBeenCalledTimes(1); // only the current message ran
    expect(currentOutcome.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: 'edited' });
  });

  it('never starts the handler for an older message when the type claims eagerly (side effects)', async () => {
    // Prepare
    const handler = vi.fn(async () => 'sent');
    const { store, worker } = setup(jobRegistry.email, handler);
    const job = queuedJob({ type: 'email', attempt: 0, generation: 2, payload: { to: ['a@example.com'], template: 'welcome', data: {} } });
    await store.create(job);

    // Act
    const outcome = await worker.processBatch(sqsEvent(recordWithGeneration(job, 1)), invocation());

    // Assess
    expect(outcome.batchItemFailures).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
    expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED', generation: 2 });
  });

  it('indexes a job it moves to DEAD, and keeps it for the per-status retention', async () => {
    // Prepare
    const definition: JobDefinition = { ...jobRegistry.analysis, settings: { ...jobRegistry.analysis.settings, retentionDays: { succeeded: 1, failed: 3, dead: 9 } } };
    const { store, worker, added } = setup(definition, async () => {
      throw new RetryableJobError('still down');
    });
    const job = queuedJob({ attempt: 2 });
    await store.create(job);

    // Act
    const outcome = await worker.processBatch(sqsEvent(recordWithGeneration(job, undefined, 3)), invocation());

    // Assess
    expect(outcome.batchItemFailures).toEqual([]); // handed to the DLQ by the worker, then acknowledged
    const dead = await store.get(job.jobId);
    expect(dead).toMatchObject({ status: 'DEAD', attempt: 3 });
    expect(added).toEqual([job.jobId]);
    const days = (dead!.ttl! - Date.now() / 1000) / 86_400;
    expect(days).toBeGreaterThan(8.99);
    expect(days).toBeLessThanOrEqual(9);
  });
});
