/**
 * A redrive, tracked: the operator's request records one task per queue (a job type, or `webhooks`),
 * and a consumer carries it out in pages, checkpointing on the task, until the DLQ's messages are
 * moved back. The task is also the lock: one redrive per queue at a time.
 */

/** REQUEUEING: dead records go back in pages. MOVING: the DLQ → queue message move runs. */
export type RedriveState = 'REQUEUEING' | 'MOVING' | 'COMPLETED' | 'FAILED';

export const ACTIVE_REDRIVE_STATES: readonly RedriveState[] = ['REQUEUEING', 'MOVING'];

/** The DLQ → queue message move of a task (StartMessageMoveTask / ListMessageMoveTasks). */
export interface RedriveMove {
  /** When the records were all put back and the move was due. */
  readonly requestedAt: string;
  /**
   * When the DLQ's latest move started, as seen just before this task started its own ('' for none):
   * a move seen later with another start is this task's, even if the run that started it died first.
   */
  readonly previousStartedAt?: string;
  readonly startedAt?: string;
  readonly status?: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  readonly moved: number;
  readonly toMove: number;
  readonly failureReason?: string;
  /** Start attempts that failed (a move already running on the DLQ, SQS unavailable). */
  readonly startFailures?: number;
}

export interface RedriveTaskRecord {
  readonly taskId: string;
  /** A job type, or `webhooks`. */
  readonly queue: string;
  readonly state: RedriveState;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  /** The API key that asked for it. */
  readonly requestedBy?: string;
  /** Listed dead records and DLQ messages when it was asked for. */
  readonly deadJobs: number;
  readonly dlqMessages: number;
  /** Dead records put back (DEAD → QUEUED, or a given-up webhook back to pending). */
  readonly requeued: number;
  /** Listed records left as they were: no longer dead, or dead again after the task began. */
  readonly skipped: number;
  /** Records whose requeue failed (left dead for the next redrive), and move starts that failed. */
  readonly failures: number;
  readonly pages: number;
  /** Checkpoint: the last listed job id handled (the listing is ordered by id). */
  readonly cursor?: string;
  /**
   * The ids of the page under way, recorded before any of them is touched: a requeue unlists its
   * record, so a page redone after a crash is read from here, not from the listing, and the records
   * the dead run put back are recognised and counted.
   */
  readonly page?: readonly string[];
  /** The id of the one message allowed to drive the task now; each invocation hands on a new one. */
  readonly nudge: string;
  /** While a consumer works on the task: until when (ISO). */
  readonly leaseUntil?: string;
  /** Which run holds the lease: every write of a run is conditional on it, so a run that lost the task stops. */
  readonly leaseOwner?: string;
  readonly move?: RedriveMove;
  /** Why it FAILED. */
  readonly error?: string;
}

export type RemovableTaskField = 'leaseUntil' | 'leaseOwner' | 'cursor' | 'page';

/** The message that drives a task: one at a time (see `nudge`). */
export interface RedriveNudge {
  readonly queue: string;
  readonly taskId: string;
  readonly nudge: string;
}

export type RedriveTaskChanges = Partial<Pick<RedriveTaskRecord, 'state' | 'finishedAt' | 'requeued' | 'skipped' | 'failures' | 'pages' | 'cursor' | 'page' | 'nudge' | 'leaseUntil' | 'leaseOwner' | 'move' | 'error'>>;

export interface RedriveTaskExpectation {
  readonly taskId: string;
  readonly nudge: string;
  readonly updatedAt?: string;
  readonly leaseFreeAt?: string;
  readonly leaseOwner?: string;
}

export interface RedriveTaskStore {
  /**
   * Records a new task unless one is active on its queue: throws `RedriveInProgressError` (with the
   * active task) then. A finished task is replaced.
   */
  create(task: RedriveTaskRecord): Promise<void>;
  get(queue: string): Promise<RedriveTaskRecord | undefined>;
  /**
   * Applies `changes` only while the task is `taskId` and still driven by `nudge` (with `updatedAt`,
   * unchanged since it was read; with `leaseFreeAt`, its lease run out by then; with `leaseOwner`, its
   * lease still held by that run). Returns the task after, or undefined when the condition failed.
   */
  update(queue: string, expect: RedriveTaskExpectation, changes: RedriveTaskChanges, remove?: readonly RemovableTaskField[]): Promise<RedriveTaskRecord | undefined>;
  /** Removes a task whose first nudge could not be sent (nothing was done yet). */
  remove(queue: string, taskId: string): Promise<void>;
}

/** Where nudges go: the redrive queue (a delay lets a running move progress between looks). */
export interface RedriveNudges {
  send(nudge: RedriveNudge, options?: { delaySeconds?: number }): Promise<void>;
  /** A received nudge comes back after `seconds` (its task is busy: once its lease has run out). */
  retryAfter?(receiptHandle: string, seconds: number): Promise<void>;
}
