import { describe, expect, it } from 'vitest';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { DeadJobSource } from '../../../functions/redrive/dead-job-source.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { RedriveTaskRecord } from '../../../shared/ports/redrive-tasks.js';
import { createDeadJob as deadJob, MemoryDeadLetters } from '../../helpers/memory-dead-letters.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const TASK_START = '2026-12-01T10:00:00.000Z';
const task: RedriveTaskRecord = { taskId: 't', queue: 'analysis', state: 'REQUEUEING', createdAt: TASK_START, updatedAt: TASK_START, deadJobs: 1, dlqMessages: 1, requeued: 0, skipped: 0, failures: 0, pages: 0, nudge: 'n' };

function setup(outbox?: { enqueue: (delivery: { body: string }) => Promise<void> }) {
  const store = new MemoryJobStore();
  const deadLetters = new MemoryDeadLetters(store);
  const followUps = new FollowUpFlusher({ store, logger: silentLogger, ...(outbox ? { outbox } : {}) });
  const source = new DeadJobSource({ type: 'analysis', store, deadLetters, followUps, logger: silentLogger, now: () => new Date('2026-12-01T10:00:05.000Z') });
  return { store, deadLetters, source };
}


describe('Class: DeadJobSource', () => {
  it('puts a DEAD record back to QUEUED with a fresh budget, unlisted, its message pending', async () => {
    // Prepare
    const { store, deadLetters, source } = setup();
    const job = await deadJob(store);

    // Act
    const outcome = await source.requeue(job.jobId, task);

    // Assess
    expect(outcome).toBe('requeued');
    const after = await store.get(job.jobId);
    expect(after).toMatchObject({ status: 'QUEUED', attempt: 0, progress: 0, redriveCount: 1, redrivenAt: '2026-12-01T10:00:05.000Z', error: { code: 'E' }, sendPending: 'pending', sweepAt: expect.any(String) });
    expect(after?.ttl).toBeUndefined();
    expect(after?.finishedAt).toBeUndefined();
    expect(deadLetters.listed('analysis')).toEqual([]);
  });

  it('puts a job back free of its start-by time and of its stored result: it runs again, as a retry does', async () => {
    // Prepare: a job enqueued with ttlSeconds whose last attempt stored its result apart
    const { store, source } = setup();
    const job = await deadJob(store, { startBy: '2026-11-23T09:00:00.000Z', resultRef: { bytes: 9_000, sha256: 'a'.repeat(64) } });

    // Act
    await source.requeue(job.jobId, task);

    // Assess
    const after = await store.get(job.jobId);
    expect(after).toMatchObject({ status: 'QUEUED' });
    expect(after).not.toHaveProperty('startBy');
    expect(after).not.toHaveProperty('resultRef');
  });

  it('recognises a record it already put back, and leaves one retried by id meanwhile', async () => {
    // Prepare
    const { store, source } = setup();
    const mine = await deadJob(store);
    await source.requeue(mine.jobId, task);
    const retried = await deadJob(store);
    await store.transition({ jobId: retried.jobId, from: ['DEAD'], to: 'QUEUED', set: { attempt: 0, retriedAt: '2026-12-01T10:00:01.000Z' } });

    // Act
    const again = await source.requeue(mine.jobId, task);
    const other = await source.requeue(retried.jobId, task);

    // Assess
    expect(again).toBe('already');
    expect(other).toBe('skipped');
    expect(await store.get(mine.jobId)).toMatchObject({ redriveCount: 1 });
  });

  it('queues the webhook a dead job still owes before it requeues it', async () => {
    // Prepare: its consumer died before flushing the DEAD write's webhook
    const webhooks: string[] = [];
    const { store, source } = setup({ enqueue: async (delivery) => void webhooks.push(delivery.body) });
    const job = await deadJob(store, { callbackUrl: 'https://hooks.example.com/x', webhookPending: '2026-11-23T10:00:00.000Z' });

    // Act
    await source.requeue(job.jobId, task);

    // Assess
    expect(webhooks.map((body) => JSON.parse(body))).toEqual([expect.objectContaining({ jobId: job.jobId, status: 'DEAD' })]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED' });
    expect(await store.get(job.jobId)).not.toHaveProperty('webhookPending');
  });

  it('leaves a job DEAD, counted as failed, when its owed webhook cannot be queued', async () => {
    // Prepare
    const { store, source } = setup({ enqueue: async () => Promise.reject(new Error('webhook queue down')) });
    const job = await deadJob(store, { callbackUrl: 'https://hooks.example.com/x', webhookPending: '2026-11-23T10:00:00.000Z' });

    // Act
    const outcome = await source.requeue(job.jobId, task);

    // Assess
    expect(outcome).toBe('failed');
    expect(await store.get(job.jobId)).toMatchObject({ status: 'DEAD', webhookPending: '2026-11-23T10:00:00.000Z' });
  });

  it('pages the listing from just past a job id, newest first', async () => {
    // Prepare
    const { store, source } = setup();
    const jobs = [await deadJob(store), await deadJob(store), await deadJob(store)];
    const newestFirst = jobs.map((j) => j.jobId).sort().reverse();

    // Act
    const first = await source.page(undefined, 2);
    const rest = await source.page(first.at(-1), 2);

    // Assess
    expect(first).toEqual(newestFirst.slice(0, 2));
    expect(rest).toEqual(newestFirst.slice(2));
  });
});
