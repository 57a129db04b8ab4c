import { describe, expect, it, vi } from 'vitest';
import { DeadLetterService, NotRetryableError } from '../../../functions/api/admin/dead-letters.js';
import { DependencyUnavailableError, RedriveInProgressError } from '../../../shared/domain/errors.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { QueueAdmin } from '../../../shared/ports/queue-admin.js';
import { JobData, PAYLOAD_INLINE_BYTES } from '../../../functions/job-data/job-data.js';
import { analysisPayload, queuedJob } from '../../helpers/factories.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { createDeadJob as deadJob, MemoryDeadLetters } from '../../helpers/memory-dead-letters.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemoryNudges, MemoryRedriveTasks } from '../../helpers/memory-redrive-tasks.js';

function setup(options: { dlqVisible?: number; sendFails?: boolean; now?: () => Date } = {}) {
  const store = new MemoryJobStore();
  const deadLetters = new MemoryDeadLetters(store);
  const queues: QueueAdmin = {
    depths: async () => ({ queue: { visible: 0, inFlight: 0, delayed: 0 }, dlq: { visible: options.dlqVisible ?? 1, inFlight: 0, delayed: 0 } }),
    startRedrive: vi.fn(async () => undefined),
    latestRedrive: async () => undefined,
  };
  const queue: JobQueue = {
    send: vi.fn(async () => {
      if (options.sendFails) throw new DependencyUnavailableError('sqs', 'down');
    }),
    changeVisibility: async () => undefined,
  };
  const redrives = { tasks: new MemoryRedriveTasks(options.now), nudges: new MemoryNudges() };
  const service = new DeadLetterService({ store, deadLetters, queues, queue, redrives, logger: silentLogger, dlqRetentionSeconds: 14 * 86_400, ...(options.now ? { now: options.now } : {}) });
  return { store, deadLetters, queues, queue, service, redrives };
}


describe('Class: DeadLetterService', () => {
  it('records a redrive task and sends its first nudge, doing no requeue itself', async () => {
    // Prepare
    const { store, service, redrives } = setup({ dlqVisible: 2 });
    const job = await deadJob(store);

    // Act
    const { task, resumed } = await service.requestRedrive('analysis', { requestedBy: 'key-1' });

    // Assess
    expect(resumed).toBe(false);
    expect(task).toMatchObject({ queue: 'analysis', state: 'REQUEUEING', deadJobs: 1, dlqMessages: 2, requeued: 0, requestedBy: 'key-1' });
    expect(await redrives.tasks.get('analysis')).toEqual(task);
    expect(redrives.nudges.sent).toEqual([{ nudge: { queue: 'analysis', taskId: task.taskId, nudge: task.nudge }, delaySeconds: 0 }]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD' });
  });

  it('refuses a second redrive of a queue while its task is active', async () => {
    // Prepare
    const { service } = setup();
    await service.requestRedrive('analysis');

    // Act
    const second = service.requestRedrive('analysis');

    // Assess
    await expect(second).rejects.toBeInstanceOf(RedriveInProgressError);
  });

  it('nudges a stalled task again instead of refusing', async () => {
    // Prepare: a task nothing drives any more (its next nudge was lost), untouched past the stall time
    let now = Date.parse('2026-12-01T10:00:00.000Z');
    const { service, redrives } = setup({ now: () => new Date(now) });
    const { task } = await service.requestRedrive('analysis');
    redrives.nudges.sent.length = 0;
    now += 10 * 60_000;

    // Act
    const again = await service.requestRedrive('analysis');

    // Assess
    expect(again).toMatchObject({ resumed: true, task: { taskId: task.taskId } });
    expect(redrives.nudges.sent).toEqual([{ nudge: { queue: 'analysis', taskId: task.taskId, nudge: task.nudge }, delaySeconds: 0 }]);
  });

  it('leaves no task behind when its first nudge cannot be sent', async () => {
    // Prepare
    const { service, redrives } = setup();
    redrives.nudges.failNext = true;

    // Act
    const request = service.requestRedrive('analysis');

    // Assess
    await expect(request).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await redrives.tasks.get('analysis')).toBeUndefined();
  });

  it('retries one job with a new generation and message; restores it when the send fails', async () => {
    // Prepare
    const ok = setup();
    const job = await deadJob(ok.store);
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
    expect(ok.deadLetters.listed('analysis')).toEqual([]);
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    const restored = await failing.store.get(failed.jobId);
    expect(restored).toMatchObject({ status: 'FAILED', attempt: 1, generation: 0, ttl: 2e9, retryCount: 0 });
    expect(restored?.retriedAt).toBeUndefined();
    await expect(ok.service.retry(job.jobId)).rejects.toBeInstanceOf(NotRetryableError);
  });

  it('routes a retried job whose payload is stored apart by that payload’s priority, the edited one’s when edited', async () => {
    // Prepare: two DEAD high-priority jobs whose payloads are kept in S3
    const { store, deadLetters, queue, queues, redrives } = setup();
    const jobData = new JobData({ blobs: new MemoryBlobStore(), logger: silentLogger, urlTtlSeconds: 300 });
    const service = new DeadLetterService({ store, deadLetters, queues, queue, redrives, logger: silentLogger, dlqRetentionSeconds: 14 * 86_400, jobData });
    const large = (priority: string) => analysisPayload({ priority, description: 'd'.repeat(PAYLOAD_INLINE_BYTES) });
    const storedApart = async () => {
      const { jobId, payload, payloadRef, priority } = await jobData.storePayload(queuedJob({ payload: large('high') }));
      return deadJob(store, { jobId, payload, ...(payloadRef ? { payloadRef } : {}), ...(priority ? { priority } : {}) });
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
