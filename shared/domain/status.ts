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
 *   DEAD | FAILED ──► QUEUED             (retry or redrive)
 */
export const JOB_STATUSES = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED']);

const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  // RUNNING is written lazily, so a fast attempt goes from QUEUED straight to its outcome; QUEUED →
  // DEAD is a fast failure of a job's only attempt, or the worker burying a message past its receive limit.
  QUEUED: ['RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'],
  // RUNNING → RUNNING: a newer attempt takes over a job whose lease ran out (its consumer died).
  RUNNING: ['RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'],
  // RETRYING → RETRYING: the next attempt failed too before it was worth writing RUNNING.
  RETRYING: ['RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'],
  SUCCEEDED: [],
  FAILED: ['QUEUED'],
  DEAD: ['QUEUED'],
  CANCELLED: [],
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
