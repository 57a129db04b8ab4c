/**
 * The job state machine. Every transition is applied as a conditional write on the expected
 * status (and attempt), so a duplicate or stale delivery can never move a job backwards.
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
  // A fast job goes QUEUED → SUCCEEDED/FAILED/RETRYING in one write: RUNNING is written lazily.
  QUEUED: ['RUNNING', 'SUCCEEDED', 'FAILED', 'RETRYING', 'DEAD', 'CANCELLED'],
  RUNNING: ['SUCCEEDED', 'FAILED', 'RETRYING', 'DEAD', 'CANCELLED'],
  RETRYING: ['RUNNING', 'SUCCEEDED', 'FAILED', 'RETRYING', 'DEAD', 'CANCELLED'],
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

/** The statuses a job may be in for a transition to `to` to be legal. */
export function sourcesOf(to: JobStatus): JobStatus[] {
  return JOB_STATUSES.filter((from) => canTransition(from, to));
}

/** Statuses from which a worker may (re)start running a job. */
export const RUNNABLE_STATUSES: readonly JobStatus[] = ['QUEUED', 'RUNNING', 'RETRYING'] as const;
