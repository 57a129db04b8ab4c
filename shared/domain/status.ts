/**
 * The job state machine. Every transition is applied as a conditional write on the expected
 * status (and attempt), so a duplicate or stale delivery can never move a job backwards. Writers
 * name their sources with `sourcesOf(to)` (or check `canTransition` on the status they read):
 * this table is the only list of legal moves.
 *
 *   QUEUED ──► RUNNING ──► SUCCEEDED | FAILED | DEAD
 *                 │  ▲
 *                 ▼  │
 *              RETRYING
 *   QUEUED | RETRYING ──► CANCELLED      (RUNNING ──► CANCELLED when its handler stops)
 *   QUEUED ──► EXPIRED                   (not started by its ttlSeconds deadline, never run)
 *   QUEUED ──► QUEUED                    (an edit of a waiting job: a new generation)
 *   DEAD | FAILED ──► QUEUED             (retry or redrive)
 */
export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED']);

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // RUNNING is written lazily, so a fast attempt goes from QUEUED straight to its outcome; QUEUED →
  // DEAD is a fast failure of a job's only attempt, or the worker burying a message past its receive limit.
  // QUEUED → EXPIRED: a job that never started, past its start-by deadline. QUEUED → QUEUED: an edit.
  QUEUED: ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED'],
  // RUNNING → RUNNING: a newer attempt takes over a job whose lease ran out (its consumer died).
  RUNNING: ['RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'],
  // RETRYING → RETRYING: the next attempt failed too before it was worth writing RUNNING.
  RETRYING: ['RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'],
  SUCCEEDED: [],
  FAILED: ['QUEUED'],
  DEAD: ['QUEUED'],
  CANCELLED: [],
  EXPIRED: [],
} as const;

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

/** The statuses a job may be in for a transition to `to` to be legal: a transition's `from`. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransition(from, to));
}
