import { JobAlreadyExistsError, TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobRecord, SendPending } from '../../shared/domain/job.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';

/**
 * An in-memory JobStore with the same conditions as the DynamoDB adapter (the contract tests run
 * one suite against both). For unit and property tests of the worker, where speed matters.
 */
export class MemoryJobStore implements JobStore {
  readonly jobs = new Map<string, JobRecord>();
  readonly writes: { jobId: string; kind: 'create' | 'transition' | 'progress' | 'discard' | 'follow-up' | 'send'; to?: string }[] = [];
  /** The reads made through `get` and `getMany`, in order (how many store calls a consumer makes). */
  readonly reads: ({ kind: 'get'; jobId: string; consistent: boolean } | { kind: 'getMany'; jobIds: string[]; consistent: boolean })[] = [];
  now: () => Date = () => new Date();

  async create(job: JobRecord): Promise<void> {
    if (this.jobs.has(job.jobId)) throw new JobAlreadyExistsError(job.jobId);
    this.jobs.set(job.jobId, structuredClone(job));
    this.writes.push({ jobId: job.jobId, kind: 'create' });
  }

  async get(jobId: string, options: { tenant?: string; consistent?: boolean } = {}): Promise<JobRecord | undefined> {
    this.reads.push({ kind: 'get', jobId, consistent: options.consistent ?? true });
    return this.#read(jobId, options);
  }

  async getMany(jobIds: readonly string[], options: { consistent?: boolean } = {}): Promise<Map<string, JobRecord>> {
    this.reads.push({ kind: 'getMany', jobIds: [...jobIds], consistent: options.consistent ?? true });
    const found = new Map<string, JobRecord>();
    for (const jobId of jobIds) {
      const job = this.#read(jobId, {});
      if (job) found.set(jobId, job);
    }
    return found;
  }

  #read(jobId: string, options: { tenant?: string }): JobRecord | undefined {
    const job = this.jobs.get(jobId);
    if (!job) return undefined;
    if (job.ttl !== undefined && job.ttl <= Math.floor(this.now().getTime() / 1000)) return undefined;
    if (options.tenant !== undefined && job.tenant !== options.tenant) return undefined;
    return structuredClone(job);
  }

  async transition(transition: Transition): Promise<JobRecord> {
    const job = this.jobs.get(transition.jobId);
    const ok =
      job !== undefined &&
      transition.from.includes(job.status) &&
      (transition.attemptAtMost === undefined || job.attempt <= transition.attemptAtMost) &&
      (transition.expectAttempt === undefined || job.attempt === transition.expectAttempt) &&
      (transition.expectGeneration === undefined || (job.generation ?? 0) === transition.expectGeneration);
    if (!ok) throw new TransitionConflictError(transition.jobId, `cannot move to ${transition.to}`);
    const next: Record<string, unknown> = { ...job, ...structuredClone(transition.set ?? {}), status: transition.to, updatedAt: this.now().toISOString() };
    for (const field of transition.remove ?? []) delete next[field];
    this.jobs.set(transition.jobId, next as unknown as JobRecord);
    this.writes.push({ jobId: transition.jobId, kind: 'transition', to: transition.to });
    return structuredClone(next as unknown as JobRecord);
  }

  async recordProgress(jobId: string, attempt: number, progress: number, message?: string): Promise<JobRecord> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'RUNNING' || job.attempt !== attempt || job.progress > progress) {
      throw new TransitionConflictError(jobId, 'progress refused');
    }
    const next = { ...job, progress, ...(message !== undefined ? { progressMessage: message } : {}), updatedAt: this.now().toISOString() };
    this.jobs.set(jobId, next);
    this.writes.push({ jobId, kind: 'progress' });
    return structuredClone(next);
  }

  async discard(jobId: string, options: { sendPending?: SendPending } = {}): Promise<void> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'QUEUED') throw new TransitionConflictError(jobId, 'only a QUEUED job can be discarded');
    if (options.sendPending !== undefined && job.sendPending !== options.sendPending) throw new TransitionConflictError(jobId, 'its send is no longer pending as seen');
    this.jobs.delete(jobId);
    this.writes.push({ jobId, kind: 'discard' });
  }

  async clearWebhookPending(jobId: string, finishedAt: string): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || job.webhookPending !== finishedAt) return false;
    const { webhookPending: _w, sweepAt: _s, ...rest } = job;
    this.jobs.set(jobId, rest);
    this.writes.push({ jobId, kind: 'follow-up' });
    return true;
  }

  async updateSendPending(jobId: string, seen: SendPending, next: SendPending | undefined, generation?: number): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'QUEUED' || job.sendPending !== seen) return false;
    if (generation !== undefined && (job.generation ?? 0) !== generation) return false;
    const { sendPending: _p, sweepAt, ...rest } = job;
    this.jobs.set(jobId, next === undefined ? rest : { ...rest, sendPending: next, ...(sweepAt !== undefined ? { sweepAt } : {}) });
    this.writes.push({ jobId, kind: 'send' });
    return true;
  }

  async clearSweep(jobId: string, sweepAt: string): Promise<boolean> {
    const job = this.jobs.get(jobId);
    if (!job || job.sweepAt !== sweepAt) return false;
    const { sweepAt: _s, ...rest } = job;
    this.jobs.set(jobId, rest);
    return true;
  }

  async requestCancel(jobId: string): Promise<JobRecord> {
    const job = this.jobs.get(jobId);
    if (!job || job.status !== 'RUNNING') throw new TransitionConflictError(jobId, 'only a RUNNING job can be flagged for cancellation');
    const next = { ...job, cancelRequested: true, updatedAt: this.now().toISOString() };
    this.jobs.set(jobId, next);
    this.writes.push({ jobId, kind: 'progress' });
    return structuredClone(next);
  }
}
