import { describe, expect, it, vi } from 'vitest';
import { DeadLetterService, NotRetryableError } from '../../../functions/api/admin/dead-letters.js';
import { DependencyUnavailableError, RedriveInProgressError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { DeadLetterEntry, DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { QueueAdmin } from '../../../shared/ports/queue-admin.js';
import { JobData, PAYLOAD_INLINE_BYTES } from '../../../functions/job-data/job-data.js';
import { analysisPayload, queuedJob } from '../../helpers/factories.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** An in-memory DeadLetterIndex with the adapter's semantics (remove only the named death). */
class MemoryDeadLetters implements DeadLetterIndex {
  readonly entries = new Map<string, DeadLetterEntry>();
  async add(job: JobRecord) {
    this.entries.set(job.jobId, { jobId: job.jobId, tenant: job.tenant, type: job.type, attempt: job.attempt, deadAt: job.finishedAt!, messageExpiresAt: 2e9 });
  }
  async list(type: string) {
    return { entries: [...this.entries.values()].filter((e) => e.type === type) };
  }
  async remove(type: string, jobId: string, deadAt: string) {
    const entry = this.entries.get(jobId);
    if (entry?.type === type && entry.deadAt === deadAt) this.entries.delete(jobId);
  }
  async count(type: string) {
    return (await this.list(type)).entries.length;
  }
}

function setup(options: { dlqVisible?: number; startFails?: boolean; sendFails?: boolean; running?: boolean } = {}) {
  const store = new MemoryJobStore();
  const deadLetters = new MemoryDeadLetters();
  const queues: QueueAdmin = {
    depths: async () => ({ queue: { visible: 0, inFlight: 0, delayed: 0 }, dlq: { visible: options.dlqVisible ?? 1, inFlight: 0, delayed: 0 } }),
    startRedrive: vi.fn(async () => {
      if (options.startFails) throw new DependencyUnavailableError('sqs', 'down');
    }),
    latestRedrive: async () => (options.running ? { status: 'RUNNING' as const, moved: 0, toMove: 1, startedAt: new Date().toISOString() } : undefined),
  };
  const queue: JobQueue = {
    send: vi.fn(async () => {
      if (options.sendFails) throw new DependencyUnavailableError('sqs', 'down');
    }),
    changeVisibility: async () => undefined,
  };
  const service = new DeadLetterService({ store, deadLetters, queues, queue, logger: silentLogger });
  return { store, deadLetters, queues, queue, service };
}

async function deadJob(store: MemoryJobStore, deadLetters: MemoryDeadLetters, overrides: Partial<JobRecord> = {}): Promise<JobRecord> {
  const job = queuedJob({ status: 'DEAD', attempt: 3, progress: 40, finishedAt: '2026-11-23T10:00:00.000Z', ttl: 2e9, error: { code: 'E', message: 'boom' }, ...overrides });
  await store.create(job);
  await deadLetters.add(job);
  return job;
}

describe('Class: DeadLetterService', () => {
  it('requeues every DEAD record with attempts reset before it starts the move', async () => {
    // Prepare
    const { store, deadLetters, service, queues } = setup({ dlqVisible: 2 });
    const a = await deadJob(store, deadLetters);
    const b = await deadJob(store, deadLetters);

    // Act
    const outcome = await service.redrive('analysis');

    // Assess
    expect(outcome).toMatchObject({ requeued: 2, stale: 0, dlqMessages: 2 });
    expect(queues.startRedrive).toHaveBeenCalledTimes(1);
    for (const job of [a, b]) {
      const after = await store.get(job.jobId);
      expect(after).toMatchObject({ status: 'QUEUED', attempt: 0, progress: 0, redriveCount: 1, error: { code: 'E' } });
      expect(after?.ttl).toBeUndefined();
      expect(after?.finishedAt).toBeUndefined();
    }
    expect(deadLetters.entries.size).toBe(0);
  });

  it('puts the records back to DEAD, indexed, when the move task cannot start', async () => {
    // Prepare
    const { store, deadLetters, service } = setup({ startFails: true });
    const job = await deadJob(store, deadLetters);

    // Act
    const redrive = service.redrive('analysis');

    // Assess
    await expect(redrive).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', attempt: 3, progress: 40, finishedAt: job.finishedAt, ttl: 2e9 });
    expect([...deadLetters.entries.keys()]).toEqual([job.jobId]);
  });

  it('changes nothing when the DLQ is empty, and refuses while a move runs', async () => {
    const empty = setup({ dlqVisible: 0 });
    const job = await deadJob(empty.store, empty.deadLetters);
    expect(await empty.service.redrive('analysis')).toMatchObject({ requeued: 0, dlqMessages: 0 });
    expect(await empty.store.get(job.jobId)).toMatchObject({ status: 'DEAD' });

    const busy = setup({ running: true });
    await expect(busy.service.redrive('analysis')).rejects.toBeInstanceOf(RedriveInProgressError);
  });

  it('drops index entries whose job is no longer DEAD', async () => {
    const { store, deadLetters, service } = setup();
    const job = await deadJob(store, deadLetters);
    await store.transition({ jobId: job.jobId, from: ['DEAD'], to: 'QUEUED', set: { attempt: 0 } });

    expect(await service.redrive('analysis')).toMatchObject({ requeued: 0, stale: 1 });
    expect(deadLetters.entries.size).toBe(0);
  });

  it('retries one job with a new generation and message; restores it when the send fails', async () => {
    // Prepare
    const ok = setup();
    const job = await deadJob(ok.store, ok.deadLetters);
    const failing = setup({ sendFails: true });
    const failed = queuedJob({ status: 'FAILED', attempt: 1, finishedAt: '2026-11-23T10:00:00.000Z', ttl: 2e9 });
    await failing.store.create(failed);

    // Act
    const retried = await ok.service.retry(job.jobId, { payload: { edited: true } });
    const refused = failing.service.retry(failed.jobId);

    // Assess
    expect(retried).toMatchObject({ status: 'QUEUED', attempt: 0, generation: 1, retryCount: 1, payload: { edited: true } });
    expect(ok.queue.send).toHaveBeenCalledWith({ jobId: job.jobId, type: job.type, generation: 1, group: messageGroupIdOf(job.tenant) });
    expect(await ok.store.get(job.jobId)).toMatchObject({ generation: 1, payload: { edited: true } });
    expect(ok.deadLetters.entries.size).toBe(0);
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    const restored = await failing.store.get(failed.jobId);
    expect(restored).toMatchObject({ status: 'FAILED', attempt: 1, generation: 0, ttl: 2e9, retryCount: 0 });
    expect(restored?.retriedAt).toBeUndefined();
    await expect(ok.service.retry(job.jobId)).rejects.toBeInstanceOf(NotRetryableError);
  });

  it('routes a retried job whose payload is stored apart by that payload’s priority, the edited one’s when edited', async () => {
    // Prepare: two DEAD high-priority jobs whose payloads are kept in S3
    const { store, deadLetters, queue, queues } = setup();
    const jobData = new JobData({ blobs: new MemoryBlobStore(), logger: silentLogger, urlTtlSeconds: 300 });
    const service = new DeadLetterService({ store, deadLetters, queues, queue, logger: silentLogger, jobData });
    const large = (priority: string) => analysisPayload({ priority, description: 'd'.repeat(PAYLOAD_INLINE_BYTES) });
    const storedApart = async () => {
      const { jobId, payload, payloadRef, priority } = await jobData.storePayload(queuedJob({ payload: large('high') }));
      return deadJob(store, deadLetters, { jobId, payload, ...(payloadRef ? { payloadRef } : {}), ...(priority ? { priority } : {}) });
    };
    const unedited = await storedApart();
    const edited = await storedApart();

    // Act
    await service.retry(unedited.jobId);
    await service.retry(edited.jobId, { payload: large('low') });

    // Assess
    expect(unedited.payloadRef).toBeDefined();
    expect(queue.send).toHaveBeenCalledWith(expect.objectContaining({ jobId: unedited.jobId, type: 'analysis', generation: 1, priority: 'high' }));
    expect(queue.send).toHaveBeenCalledWith(expect.objectContaining({ jobId: edited.jobId, type: 'analysis', generation: 1, priority: 'low' }));
    expect(await store.get(edited.jobId)).toMatchObject({ priority: 'low' });
  });
});
