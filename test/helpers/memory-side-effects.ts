import { TransitionConflictError } from '../../shared/domain/errors.js';
import type { SideEffectLedger, SideEffectMark } from '../../shared/ports/side-effects.js';
import type { MemoryJobStore } from './memory-job-store.js';

/** The side-effect ledger in memory, with the DynamoDB adapter's conditions, over a MemoryJobStore's jobs. */
export class MemorySideEffectLedger implements SideEffectLedger {
  readonly marks = new Map<string, SideEffectMark>();
  /** Fails the next `complete` calls (to open the crash window between send and record). */
  failCompletes = 0;

  constructor(private readonly store: MemoryJobStore) {}

  async read(jobId: string): Promise<SideEffectMark | undefined> {
    return this.marks.get(jobId);
  }

  async begin(jobId: string, attempt: number): Promise<void> {
    const job = this.store.jobs.get(jobId);
    if (!job || job.status !== 'RUNNING' || job.attempt !== attempt || this.marks.has(jobId)) throw new TransitionConflictError(jobId, 'cannot begin');
    this.marks.set(jobId, { state: 'started', attempt, at: new Date().toISOString() });
  }

  async complete(jobId: string, attempt: number, reference: string): Promise<void> {
    if (this.failCompletes > 0) {
      this.failCompletes--;
      throw new Error('simulated store outage');
    }
    this.#expectStartedBy(jobId, attempt);
    this.marks.set(jobId, { state: 'done', attempt, at: new Date().toISOString(), reference });
  }

  async abandon(jobId: string, attempt: number): Promise<void> {
    this.#expectStartedBy(jobId, attempt);
    this.marks.delete(jobId);
  }

  #expectStartedBy(jobId: string, attempt: number): void {
    const mark = this.marks.get(jobId);
    if (mark?.state !== 'started' || mark.attempt !== attempt) throw new TransitionConflictError(jobId, `attempt ${attempt} did not begin it`);
  }
}
