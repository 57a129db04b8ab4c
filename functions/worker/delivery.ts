import { isDeepStrictEqual } from 'node:util';
import type { JobRecord } from '../../shared/domain/job.js';

/**
 * What one SQS delivery of a job means, given the job's record (read before running) and the
 * delivery's receive count. This is the one place that decides; the worker only carries it out.
 *
 * - `run`: the job is QUEUED, RETRYING, or RUNNING under an older attempt whose lease ran out (the
 *   message became visible again, so that attempt is presumed dead) — this delivery takes it.
 * - `ack`: nothing left to do — no record (an orphan message), the job ended SUCCEEDED/CANCELLED, or it
 *   ended FAILED/DEAD and this message was sent before it ended: a redelivery after a lost
 *   acknowledgement, or a duplicate copy (SQS standard queues may deliver one; its twin of a DEAD job
 *   is already in the DLQ, so this copy must not land there as a second one).
 * - `cancel`: DELETE flagged the job while it ran (or waited for a retry): end it CANCELLED, no run.
 * - `leave`: a delivery with the same or a newer receive count of *this same message* holds the job.
 *   Neither acknowledge (that would delete the message the holder still needs for its retry) nor touch
 *   its visibility. When the record names another message as its holder, this one is a distinct
 *   duplicate copy: acknowledging it is safe and keeps it from burning receives into the DLQ (`ack`).
 * - `bury`: the receive count is past `maxAttempts` (the queue allows one extra receive, derived.ts) and
 *   the job is still QUEUED/RETRYING/RUNNING: the last attempt's consumer died without recording
 *   anything. Record the job DEAD (ATTEMPT_LOST) without running it, then hand the message to the DLQ.
 * - `dead-letter`: the job is DEAD and this is its own message (the one that recorded DEAD): hand it to
 *   the DLQ — visibility 0 and no acknowledgement, so the next receive moves it there, exactly once.
 * - `defer`: the record is DEAD or FAILED but the message was sent *after* the job ended. Only a redrive
 *   (a move task gives messages a new enqueue time) or a retry does that: the message arrived before
 *   its record was reset to QUEUED — the seam for DLQ redrive (issue 7), which should reset the record
 *   first. It comes back after `delaySeconds`; if the record is reset by then it runs, otherwise each
 *   return counts a receive and after `maxReceiveCount` it is back in the DLQ. Never dropped.
 */
export type DeliveryDecision =
  | { readonly action: 'run' }
  | { readonly action: 'ack'; readonly reason: 'missing' | 'finished' | 'duplicate' }
  | { readonly action: 'cancel' }
  | { readonly action: 'leave'; readonly reason: 'superseded' }
  | { readonly action: 'defer'; readonly reason: 'terminal-record'; readonly delaySeconds: number }
  | { readonly action: 'bury' }
  | { readonly action: 'dead-letter' };

/** How long a message whose record is DEAD/FAILED waits for a redrive to reset the record. */
export const REDRIVE_GRACE_SECONDS = 10;

/** What the worker knows of one delivery besides the record. */
export interface DeliveryFacts {
  /** SQS ApproximateReceiveCount: the attempt this delivery would be. */
  readonly receiveCount: number;
  /** SQS SentTimestamp (epoch ms): when this message was enqueued (a redriven one: when it was moved). */
  readonly sentAt?: number;
  readonly messageId?: string;
  /** The job type's maxAttempts; a receive count beyond it is the bookkeeping receive. */
  readonly maxAttempts: number;
}

export function interpretDelivery(record: JobRecord | undefined, { receiveCount, sentAt, messageId, maxAttempts }: DeliveryFacts): DeliveryDecision {
  if (!record) return { action: 'ack', reason: 'missing' };
  switch (record.status) {
    case 'SUCCEEDED':
    case 'CANCELLED':
      return { action: 'ack', reason: 'finished' };
    case 'FAILED':
    case 'DEAD': {
      const endedAt = record.finishedAt ? Date.parse(record.finishedAt) : Number.NaN;
      const sentAfterEnd = sentAt !== undefined && Number.isFinite(endedAt) && sentAt > endedAt;
      if (sentAfterEnd) return { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS };
      // A DEAD job's own message still has its bookkeeping receive to spend on the way to the DLQ.
      if (record.status === 'DEAD' && !isOtherMessage(record, messageId) && receiveCount > maxAttempts) return { action: 'dead-letter' };
      return { action: 'ack', reason: 'finished' };
    }
    case 'QUEUED':
    case 'RETRYING':
    case 'RUNNING':
      if (record.attempt >= receiveCount) {
        return isOtherMessage(record, messageId) ? { action: 'ack', reason: 'duplicate' } : { action: 'leave', reason: 'superseded' };
      }
      if (record.cancelRequested) return { action: 'cancel' };
      return receiveCount > maxAttempts ? { action: 'bury' } : { action: 'run' };
  }
}

/**
 * After one of this delivery's conditional writes lost: acknowledge when the job needs no message any
 * more (SUCCEEDED, CANCELLED, FAILED, or no record), or when another message holds it (this one is a
 * duplicate copy). A DEAD job's own message must reach the DLQ, and a job still in progress under a
 * newer receive of this same message needs it for its retry: leave those alone.
 */
export function interpretConflict(record: JobRecord | undefined, messageId?: string): 'ack' | 'leave' {
  if (!record) return 'ack';
  if (record.status === 'SUCCEEDED' || record.status === 'CANCELLED' || record.status === 'FAILED') return 'ack';
  return isOtherMessage(record, messageId) ? 'ack' : 'leave';
}

/**
 * Whether a record in `status` must name the message that wrote it. Only a DEAD record's (its own
 * message still has to reach the DLQ, `dead-letter` above) and a job still in progress (`leave` vs a
 * duplicate's `ack`) are ever compared; a SUCCEEDED, FAILED or CANCELLED record is acknowledged
 * whatever message arrives, so its final write drops the id (45 bytes of every finished item).
 */
export function recordsHolder(status: JobRecord['status']): boolean {
  return status !== 'SUCCEEDED' && status !== 'FAILED' && status !== 'CANCELLED';
}

/** True only when both ids are known and differ; unknown means "maybe the same message": be careful. */
function isOtherMessage(record: JobRecord, messageId: string | undefined): boolean {
  return record.messageId !== undefined && messageId !== undefined && record.messageId !== messageId;
}

/**
 * The first claim of a message that the record contradicts, named as a field path (`type`, `tenant`,
 * `payload.to`), or undefined when the message agrees. A message needs to carry only jobId and type;
 * messages in the older format also carry the tenant and payload, which must then equal the record's.
 */
export function claimMismatch(record: JobRecord, consumerType: string, claims: Readonly<Record<string, unknown>>): string | undefined {
  if (record.type !== consumerType) return 'type';
  if ('tenant' in claims && claims.tenant !== record.tenant) return 'tenant';
  if ('payload' in claims) return firstDifference(claims.payload, record.payload, 'payload');
  return undefined;
}

function firstDifference(claimed: unknown, actual: unknown, path: string): string | undefined {
  if (isDeepStrictEqual(claimed, actual)) return undefined;
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
  if (!isObject(claimed) || !isObject(actual) || Array.isArray(claimed) !== Array.isArray(actual)) return path;
  for (const key of [...new Set([...Object.keys(claimed), ...Object.keys(actual)])].sort()) {
    const difference = firstDifference(claimed[key], actual[key], `${path}.${key}`);
    if (difference) return difference;
  }
  return path;
}
