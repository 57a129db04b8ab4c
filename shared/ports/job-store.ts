import type { JobError, JobRecord, SendPending, StoredDataRef } from '../domain/job.js';
import type { JobStatus } from '../domain/status.js';

/** A conditional status change: applies only if the job is in one of `from` (and at `attempt`). */
export interface Transition {
  readonly jobId: string;
  readonly from: readonly JobStatus[];
  readonly to: JobStatus;
  /** When set, the write also requires the stored attempt to equal this value. */
  readonly expectAttempt?: number;
  /**
   * When set, the stored attempt must be ≤ this value: the delivery writing is the newest one
   * (RUNNING is written lazily, so the stored attempt may still be the previous one).
   */
  readonly attemptAtMost?: number;
  /** When set, the stored `generation` (absent = 0) must equal this: the write comes from the current message. */
  readonly expectGeneration?: number;
  readonly set?: Partial<{
    attempt: number;
    progress: number;
    progressMessage: string;
    result: unknown;
    resultRef: StoredDataRef;
    error: JobError;
    startedAt: string;
    finishedAt: string;
    nextAttemptAt: string;
    ttl: number;
    payload: unknown;
    payloadRef: StoredDataRef;
    priority: 'high' | 'low';
    generation: number;
    redriveCount: number;
    redrivenAt: string;
    retryCount: number;
    retriedAt: string;
    messageId: string;
    receiveCount: number;
    runAt: string;
    startBy: string;
    // Follow-ups and sends recorded in the same write as the status (see JobRecord).
    webhookPending: string;
    deadLetterType: string;
    deadLetterUntil: number;
    sendPending: SendPending;
    sweepAt: string;
  }>;
  /** Attributes to remove (e.g. `error` when a job is retried). */
  readonly remove?: readonly RemovableField[];
}

export type RemovableField =
  | 'error' | 'result' | 'resultRef' | 'payload' | 'payloadRef' | 'priority' | 'nextAttemptAt' | 'cancelRequested' | 'finishedAt' | 'ttl' | 'progressMessage' | 'startedAt' | 'retriedAt' | 'redrivenAt' | 'messageId' | 'receiveCount' | 'startBy' | 'runAt'
  | 'webhookPending' | 'deadLetterType' | 'deadLetterUntil' | 'sendPending' | 'sweepAt';

/**
 * The job store: one record per job, the source of truth for status. Every status change is a
 * conditional write; a lost condition throws `TransitionConflictError`.
 */
export interface JobStore {
  /** Conditional put: throws `JobAlreadyExistsError` if the id exists. */
  create(job: JobRecord): Promise<void>;
  /** The job, or undefined if absent, expired, or owned by another tenant (when `tenant` is given). */
  get(jobId: string, options?: { tenant?: string; consistent?: boolean }): Promise<JobRecord | undefined>;
  /**
   * Several jobs in one read (a consumer reads its whole batch at once): each id found maps to its
   * record; absent and expired jobs are left out. Duplicate ids are read once. Consistent by default.
   * Throws `DependencyUnavailableError` when the records could not all be read.
   */
  getMany(jobIds: readonly string[], options?: { consistent?: boolean }): Promise<ReadonlyMap<string, JobRecord>>;
  /** Applies a transition and returns the record after it. */
  transition(transition: Transition): Promise<JobRecord>;
  /** Raises progress (never lowers it) while the job is RUNNING at `attempt`. Returns the record after it. */
  recordProgress(jobId: string, attempt: number, progress: number, message?: string): Promise<JobRecord>;
  /**
   * Deletes a job that is still QUEUED — used when its message could not be sent. With
   * `sendPending`, only while the record still says exactly that (the recovery sweep's discard).
   */
  discard(jobId: string, options?: { sendPending?: SendPending }): Promise<void>;
  /**
   * Flags a RUNNING job for cancellation (`cancelRequested`); its handler's signal aborts at its next
   * progress write. Throws `TransitionConflictError` when the job is not RUNNING.
   */
  requestCancel(jobId: string): Promise<JobRecord>;
  /**
   * Marks the webhook owed by the terminal state that ended at `finishedAt` as queued: removes
   * `webhookPending` (and the job's sweep entry) only while it still says `finishedAt`. False when
   * it no longer does — another flush got there first, and nothing is repeated.
   */
  clearWebhookPending(jobId: string, finishedAt: string): Promise<boolean>;
  /**
   * Moves a QUEUED job's `sendPending` from `seen` to `next` (undefined removes it, and the job's
   * sweep entry with it) — only while it still says `seen` (and, given `generation`, while the job is
   * still at that generation: an edit since the read rewrote the marker). False when it no longer does.
   */
  updateSendPending(jobId: string, seen: SendPending, next: SendPending | undefined, generation?: number): Promise<boolean>;
  /** Removes a sweep entry that no longer stands for anything owed (only while it says `sweepAt`). */
  clearSweep(jobId: string, sweepAt: string): Promise<boolean>;
}
