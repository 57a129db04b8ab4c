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

/**
 * How far ahead (runAt) a job whose payload is stored apart (S3) may be scheduled. Its object is
 * written at enqueue and the job-data bucket expires objects a fixed time after they were written
 * (`jobDataExpiryDays`): every day of hold allowed is a day every large payload is stored. A job
 * further ahead can be enqueued closer to its time.
 */
export const STORED_PAYLOAD_MAX_HOLD_DAYS = 7;

/** Days SQS keeps a dead-letter message (its maximum, 14): every redrive of a message happens within it, counted from the enqueue. */
const DLQ_RETENTION_DAYS = 14;

/**
 * Days after which the job-data bucket's lifecycle rule deletes an object: the longest a record that
 * names it can live, counted from when the object was written.
 * - A payload is written at enqueue. Its job runs within the hold allowed (STORED_PAYLOAD_MAX_HOLD_DAYS),
 *   and every run of its message (retries, redrives) happens while SQS still keeps it — at most 14 days
 *   from the send (a DLQ keeps a message 14 days from its first enqueue); the record then lives the
 *   longest retention of any type and final status. A retry by id rewrites the object, restarting it.
 * - A result is written at the job's end: it needs only the retention, which the payload's figure covers.
 * Plus one day: S3 rounds the expiry to the next midnight UTC and runs the deletion asynchronously.
 */
export function jobDataExpiryDays(settings: readonly Pick<JobSettings, 'retentionDays'>[]): number {
  const statuses: FinalStatus[] = ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'];
  const longest = Math.max(...settings.flatMap((s) => statuses.map((status) => retentionDaysFor(s, status))));
  return STORED_PAYLOAD_MAX_HOLD_DAYS + DLQ_RETENTION_DAYS + longest + 1;
}
