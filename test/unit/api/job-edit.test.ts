import { describe, expect, it } from 'vitest';
import { editJob, type JobEditDeps } from '../../../functions/api/job-edit.js';
import { JobNotEditableError } from '../../../shared/domain/errors.js';
import type { JobMessage, JobRecord } from '../../../shared/domain/job.js';
import type { Transition } from '../../../shared/ports/job-store.js';
import { queuedJob } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** A store whose record writes wait for `gate`: both edits read and send before either writes. */
class GatedStore extends MemoryJobStore {
  constructor(readonly gate: Promise<unknown>) {
    super();
  }

  override async transition(transition: Transition): Promise<JobRecord> {
    await this.gate;
    return super.transition(transition);
  }
}

/** A store whose record writes fail (the API died after its send). */
class LostWriteStore extends MemoryJobStore {
  override transition(): Promise<JobRecord> {
    return Promise.reject(new Error('injected: the write never landed'));
  }
}

const recording = (sent: JobMessage[]) => ({ send: async (message: JobMessage) => void sent.push(message), changeVisibility: async () => undefined });

describe('Function: editJob — concurrent edits', () => {
  it('gives each edit its own generation, so the message of the edit that lost its write can never run the job', async () => {
    // Prepare: two edits of one waiting job, both read at generation 0
    let release!: () => void;
    const memory = new GatedStore(new Promise<void>((resolve) => (release = resolve)));
    const job = queuedJob();
    await memory.create(job);
    const sent: JobMessage[] = [];
    const deps: JobEditDeps = { store: memory, queue: recording(sent), now: () => new Date() };

    // Act
    const edits = [editJob(deps, job.tenant, job.jobId, { priority: 'high' }), editJob(deps, job.tenant, job.jobId, { priority: 'low' })];
    await new Promise((resolve) => setImmediate(resolve));
    release();
    const [first, second] = await Promise.allSettled(edits);

    // Assess: one wins, one answers JOB_CHANGED; only the winner's message carries the record's generation
    const outcomes = [first!, second!];
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const lost = outcomes.find((o) => o.status === 'rejected');
    expect(lost?.status === 'rejected' && lost.reason).toBeInstanceOf(JobNotEditableError);
    expect(lost?.status === 'rejected' && (lost.reason as JobNotEditableError).code).toBe('JOB_CHANGED');
    const record = (await memory.get(job.jobId))!;
    expect(sent).toHaveLength(2);
    expect(sent.filter((m) => m.generation === record.generation)).toHaveLength(1);
    expect(sent.find((m) => m.generation === record.generation)?.priority).toBe(record.priority);
  });

  it('does not reuse the generation of an edit whose write never landed', async () => {
    // Prepare: an edit whose record write fails (the API died after its send)
    const failing = new LostWriteStore();
    const memory = new MemoryJobStore();
    const job = queuedJob();
    await failing.create(job);
    await memory.create(job);
    const sent: JobMessage[] = [];
    const queue = recording(sent);
    await expect(editJob({ store: failing, queue, now: () => new Date() }, job.tenant, job.jobId, { priority: 'low' })).rejects.toThrow('injected');

    // Act: the next edit lands
    const edited = await editJob({ store: memory, queue, now: () => new Date() }, job.tenant, job.jobId, { priority: 'high' });

    // Assess
    expect(sent).toHaveLength(2);
    expect(sent[0]!.generation).not.toBe(edited!.generation);
    expect(sent[1]!.generation).toBe(edited!.generation);
    expect(edited!.generation).toBeGreaterThan(0);
  });
});
