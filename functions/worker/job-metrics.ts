import type { JobRunObservation, JobRunOutcome } from '../../shared/ports/job-metrics.js';
import type { SqsRecordLike } from './context.js';
import type { RecordOutcome } from './job-worker.js';

/** What each worker outcome counts as: a finished run (SUCCEEDED, FAILED, DEAD), a retry, or nothing. */
const OUTCOMES: Record<RecordOutcome['reason'], JobRunOutcome> = {
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  dead: 'DEAD',
  retrying: 'RETRYING',
  expired: 'EXPIRED',
  // Not a run's outcome: a stale copy, a cancel, a poison body, a later hand-off to the DLQ of a job
  // already DEAD, a store outage (the message comes back and is counted then).
  cancelled: 'OTHER',
  skipped: 'OTHER',
  poison: 'OTHER',
  'dead-lettered': 'OTHER',
  'dead-letter-failed': 'OTHER',
  'store-unavailable': 'OTHER',
  superseded: 'OTHER',
  deferred: 'OTHER',
  // A FIFO record not run because one ahead of it in its group did not finish.
  held: 'OTHER',
};

/**
 * One delivery as a metrics observation. Queue wait is the time from the message's first send
 * (SentTimestamp) to the start of its first receive; later receives include backoff, not waiting.
 * A delivery still unanswered at the deadline (no outcome yet) counts as nothing.
 */
export function observationOf(type: string, record: SqsRecordLike, outcome: RecordOutcome | undefined, startedAt: number, finishedAt: number): JobRunObservation {
  const sentAt = Number(record.attributes.SentTimestamp);
  const firstReceive = Number(record.attributes.ApproximateReceiveCount ?? '1') <= 1;
  return {
    type,
    outcome: outcome ? OUTCOMES[outcome.reason] : 'OTHER',
    durationMs: Math.max(0, finishedAt - startedAt),
    ...(firstReceive && Number.isFinite(sentAt) ? { queueWaitMs: Math.max(0, startedAt - sentAt) } : {}),
  };
}
