import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import { hashRequest } from '../../../functions/api/idempotent-enqueue.js';
import { DependencyUnavailableError, IdempotencyConflictError } from '../../../shared/domain/errors.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import type { EnqueueRequest } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import { analysisPayload } from '../../helpers/factories.js';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

function setup(options: { failSends?: number; waitMs?: number } = {}) {
  const store = new MemoryJobStore();
  const idempotency = new MemoryIdempotencyStore();
  const sent: JobMessage[] = [];
  let failures = options.failSends ?? 0;
  const queue: JobQueue = {
    send: vi.fn(async (message: JobMessage) => {
      // Yield first, so concurrent requests really interleave between claim and send.
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (failures > 0) {
        failures--;
        throw new DependencyUnavailableError('sqs', 'injected send failure');
      }
      sent.push(message);
    }),
    changeVisibility: vi.fn(async () => undefined),
  };
  const jobs = new JobService({ store, queue, logger: silentLogger, idempotency, idempotencySettings: { waitMs: options.waitMs ?? 2_000, pollMs: 2 } });
  return { store, idempotency, sent, jobs };
}

const request = (overrides: Record<string, unknown> = {}): EnqueueRequest => ({ type: 'analysis', payload: analysisPayload(overrides) }) as EnqueueRequest;

describe('Function: enqueueIdempotently (through JobService)', () => {
  it('returns the same job for the same key and body, and sends one message', async () => {
    // Prepare
    const { jobs, sent, store } = setup();

    // Act
    const first = await jobs.enqueueIdempotent('tenant-a', request(), 'order-1');
    const second = await jobs.enqueueIdempotent('tenant-a', request(), 'order-1');

    // Assess
    expect(first.replayed).toBe(false);
    expect(second).toMatchObject({ replayed: true, job: { jobId: first.job.jobId } });
    expect(sent.map((m) => m.jobId)).toEqual([first.job.jobId]);
    expect(store.jobs.get(first.job.jobId)).toMatchObject({ idempotencyKey: 'order-1' });
  });

  it('compares bodies canonically: key order does not matter, a changed value does', async () => {
    const { jobs } = setup();
    const first = await jobs.enqueueIdempotent('tenant-a', request(), 'k');
    const reordered = { type: 'analysis', payload: Object.fromEntries(Object.entries(analysisPayload()).reverse()) } as EnqueueRequest;
    expect(hashRequest(reordered)).toBe(hashRequest(request()));
    expect((await jobs.enqueueIdempotent('tenant-a', reordered, 'k')).job.jobId).toBe(first.job.jobId);

    const changed = jobs.enqueueIdempotent('tenant-a', request({ toolId: 't-2' }), 'k');
    await expect(changed).rejects.toBeInstanceOf(IdempotencyConflictError);
    await expect(changed).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_MISMATCH' });
  });

  it('keeps keys apart per tenant', async () => {
    const { jobs } = setup();
    const a = await jobs.enqueueIdempotent('tenant-a', request(), 'same');
    const b = await jobs.enqueueIdempotent('tenant-b', request(), 'same');
    expect(a.job.jobId).not.toBe(b.job.jobId);
    expect(b.replayed).toBe(false);
  });

  it('makes one job of 25 concurrent identical requests', async () => {
    // Prepare
    const { jobs, sent, store } = setup();

    // Act
    const results = await Promise.all(Array.from({ length: 25 }, () => jobs.enqueueIdempotent('tenant-a', request(), 'burst')));

    // Assess
    expect(new Set(results.map((r) => r.job.jobId)).size).toBe(1);
    expect(results.filter((r) => !r.replayed)).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(store.jobs.size).toBe(1);
  });

  it('leaves neither record nor key behind when the send fails, so a retry with the key starts clean', async () => {
    // Prepare
    const { jobs, sent, store, idempotency } = setup({ failSends: 1 });

    // Act
    const failed = jobs.enqueueIdempotent('tenant-a', request(), 'flaky');
    await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
    const afterFailure = { records: store.jobs.size, entries: idempotency.entries.size };
    const retried = await jobs.enqueueIdempotent('tenant-a', request(), 'flaky');

    // Assess
    expect(afterFailure).toEqual({ records: 0, entries: 0 });
    expect(retried.replayed).toBe(false);
    expect(sent.map((m) => m.jobId)).toEqual([retried.job.jobId]);
    expect(store.jobs.size).toBe(1);
  });

  it('finishes the same job when a writer died between claim and commit (takeover after the lock)', async () => {
    // Prepare: a dead writer claimed the key and wrote the record, but never sent the message.
    const { jobs, sent, store, idempotency } = setup();
    const now = Date.now();
    await idempotency.claim({
      tenant: 'tenant-a', key: 'crash', jobId: 'job-of-dead-writer', requestHash: hashRequest(request()), state: 'PENDING',
      lockToken: 'dead', lockedUntil: now - 1, createdAt: new Date(now).toISOString(), ttl: Math.floor(now / 1000) + 60,
    });
    await store.create({ jobId: 'job-of-dead-writer', tenant: 'tenant-a', type: 'analysis', status: 'QUEUED', attempt: 0, maxAttempts: 3, progress: 0, payload: analysisPayload(), createdAt: new Date(now).toISOString(), updatedAt: new Date(now).toISOString() });

    // Act
    const result = await jobs.enqueueIdempotent('tenant-a', request(), 'crash');

    // Assess
    expect(result.job.jobId).toBe('job-of-dead-writer');
    expect(sent.map((m) => m.jobId)).toEqual(['job-of-dead-writer']);
    expect(await idempotency.get('tenant-a', 'crash')).toMatchObject({ state: 'COMMITTED' });
  });

  it('answers IDEMPOTENCY_KEY_IN_PROGRESS when the first request holds the key past the wait', async () => {
    const { jobs, idempotency } = setup({ waitMs: 20 });
    const now = Date.now();
    await idempotency.claim({
      tenant: 'tenant-a', key: 'slow', jobId: 'j', requestHash: hashRequest(request()), state: 'PENDING',
      lockToken: 'alive', lockedUntil: now + 60_000, createdAt: new Date(now).toISOString(), ttl: Math.floor(now / 1000) + 60,
    });
    await expect(jobs.enqueueIdempotent('tenant-a', request(), 'slow')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_IN_PROGRESS' });
  });
});
