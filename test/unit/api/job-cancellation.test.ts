import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import { JobFinishedError } from '../../../shared/domain/errors.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { queuedJob } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

function setup() {
  const store = new MemoryJobStore();
  const jobs = new JobService({ store, queue: { send: vi.fn(), changeVisibility: vi.fn() }, logger: silentLogger });
  return { store, jobs };
}

describe('Function: cancelJob (through JobService.cancel)', () => {
  it.each(['QUEUED', 'RETRYING'] as const)('cancels a %s job at once', async (status) => {
    // Prepare
    const { store, jobs } = setup();
    const job = queuedJob({ status, attempt: status === 'RETRYING' ? 1 : 0, nextAttemptAt: new Date().toISOString() });
    await store.create(job);

    // Act
    const outcome = await jobs.cancel(job.tenant, job.jobId);

    // Assess
    expect(outcome).toMatchObject({ kind: 'cancelled', job: { status: 'CANCELLED', error: { code: 'CANCELLED' } } });
    const stored = await store.get(job.jobId);
    expect(stored?.finishedAt).toBeDefined();
    expect(stored?.nextAttemptAt).toBeUndefined();
    expect(stored?.ttl).toBeGreaterThan(Date.now() / 1000);
  });

  it('only flags a RUNNING job, and says so again on a second request', async () => {
    const { store, jobs } = setup();
    const job = queuedJob({ status: 'RUNNING', attempt: 1 });
    await store.create(job);
    expect(await jobs.cancel(job.tenant, job.jobId)).toMatchObject({ kind: 'cancel-requested', job: { status: 'RUNNING', cancelRequested: true } });
    expect(await jobs.cancel(job.tenant, job.jobId)).toMatchObject({ kind: 'cancel-requested' });
  });

  it.each(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'] as const)('refuses to cancel a %s job', async (status) => {
    const { store, jobs } = setup();
    const job = queuedJob({ status, attempt: 1 });
    await store.create(job);
    await expect(jobs.cancel(job.tenant, job.jobId)).rejects.toBeInstanceOf(JobFinishedError);
    expect((await store.get(job.jobId))?.status).toBe(status);
  });

  it('does not see another tenant’s job', async () => {
    const { store, jobs } = setup();
    const job = queuedJob();
    await store.create(job);
    expect(await jobs.cancel('someone-else', job.jobId)).toBeUndefined();
    expect((await store.get(job.jobId))?.status).toBe('QUEUED');
  });

  it('decides again when the worker moves the job between the read and the write', async () => {
    // Prepare: the first conditional write loses because the worker wrote RUNNING meanwhile.
    const { store, jobs } = setup();
    const job = queuedJob();
    await store.create(job);
    const transition = store.transition.bind(store);
    let raced = false;
    vi.spyOn(store, 'transition').mockImplementation(async (t) => {
      if (!raced && t.to === 'CANCELLED') {
        raced = true;
        await transition({ jobId: job.jobId, from: ['QUEUED'], to: 'RUNNING', set: { attempt: 1 } });
      }
      return transition(t);
    });

    // Act
    const outcome = await jobs.cancel(job.tenant, job.jobId);

    // Assess
    expect(outcome).toMatchObject({ kind: 'cancel-requested', job: { status: 'RUNNING', cancelRequested: true } });
  });
});
