import type { JobStatus } from '../domain/status.js';
import type { JobSettings } from './define.js';

/** The statuses a job can finish in; each has its own retention period. */
export type FinalStatus = Extract<JobStatus, 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'CANCELLED' | 'EXPIRED'>;

/** Days a record in `status` is kept: the type's setting for that status, with the documented fallbacks. */
export function retentionDaysFor(settings: Pick<JobSettings, 'retentionDays'>, status: FinalStatus): number {
  const days = settings.retentionDays;
  switch (status) {
    case 'SUCCEEDED':
      return days.succeeded;
    case 'FAILED':
      return days.failed;
    // A dead job is a failure an operator may still redrive: it is kept like a failed one unless told.
    case 'DEAD':
      return days.dead ?? days.failed;
    case 'CANCELLED':
      return days.cancelled ?? days.succeeded;
    // Work that never happened: kept like a failure, for whoever looks for why it did not.
    case 'EXPIRED':
      return days.expired ?? days.failed;
  }
}

/** The DynamoDB TTL (epoch seconds) of a record that finishes in `status` at `nowMs`. */
export function expiryOf(settings: Pick<JobSettings, 'retentionDays'>, status: FinalStatus, nowMs: number): number {
  return Math.floor(nowMs / 1000) + retentionDaysFor(settings, status) * 86_400;
}
