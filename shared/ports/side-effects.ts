/**
 * A job's external side effect (an e-mail sent), checkpointed on the job record so a redelivered
 * message never repeats it. `started` is written before calling the provider, `done` (with the
 * provider's reference, e.g. the SES message id) right after it answers.
 */
export type SideEffectMark =
  | { readonly state: 'started'; readonly attempt: number; readonly at: string }
  | { readonly state: 'done'; readonly attempt: number; readonly at: string; readonly reference: string };

export interface SideEffectLedger {
  /** The job's mark, read strongly consistent; undefined when none was written. */
  read(jobId: string): Promise<SideEffectMark | undefined>;
  /**
   * Marks the side effect started by `attempt`. Conditional: the job is RUNNING at that attempt and
   * carries no mark yet. Throws `TransitionConflictError` otherwise (another attempt got there first).
   */
  begin(jobId: string, attempt: number): Promise<void>;
  /** Records the provider's reference; only the attempt that began it may. */
  complete(jobId: string, attempt: number, reference: string): Promise<void>;
  /** Removes a `started` mark when the provider surely did nothing (it refused or throttled us). */
  abandon(jobId: string, attempt: number): Promise<void>;
}
