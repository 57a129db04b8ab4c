import { isDeepStrictEqual } from 'node:util';
import type { JobRecord } from '../../shared/domain/job.js';
import { API_FUNCTION_TIMEOUT_SECONDS } from '../../shared/jobs/derived.js';

/**
 * What one SQS delivery of a job means, given the job's record (read before running) and the
 * delivery's facts. This is the one place that decides; the worker only carries it out.
 *
 * Attempts are handler runs, counted on the record: the next run is `record.attempt + 1`, whatever
 * the receive count says (a Lambda throttled by the account's concurrency returns messages without a
 * run, and each of those receives counts). The lease is the record's holder: the message id and receive
 * count of the delivery that last wrote the job (its claim, retry or outcome). A later receive of the
 * holder's message means the holder's visibility ran out (its consumer died, or its retry is due); an
 * older or equal one is a receive the holder superseded; another message id is a duplicate copy.
 *
 * - `run`: the job is QUEUED, or RETRYING/RUNNING and this is a later receive of its holder's message —
 *   this delivery runs attempt `record.attempt + 1`.
 * - `ack`: nothing left to do — no record (an orphan message), the job ended SUCCEEDED/CANCELLED, it ended
 *   FAILED/DEAD and this message was sent before it ended and does not hold it, or another message holds
 *   the job (this is a duplicate copy; acknowledging it keeps it from burning receives).
 * - `cancel`: DELETE flagged the job while it ran (or waited for a retry): end it CANCELLED, no run.
 * - `expire`: the job is QUEUED — it never started — and its start-by time (`ttlSeconds`) has passed:
 *   end it EXPIRED without a run, and acknowledge the message.
 * - `leave`: an older (or the same) receive of the holder's message. Neither acknowledge (that would
 *   delete the message the holder still needs) nor touch its visibility.
 * - `bury`: the job cannot run again — its last attempt was recorded RUNNING and its lease ran out
 *   (`attempt-lost`: its consumer died), or this is the last receive the redrive policy allows and nothing
 *   recorded an outcome (`receive-limit`: the safety net for a message whose consumer dies before it can
 *   record anything). Record it DEAD without running it and hand the message to the DLQ.
 * - `dead-letter`: the job is DEAD and this is a later receive of the message that recorded it, more than a
 *   function timeout after it did: the consumer that recorded DEAD is gone (no Lambda outlives its
 *   timeout) without its message acknowledged, so the hand-off to the DLQ may never have happened. Hand
 *   it on now. Within the timeout that consumer may still be handing it on: `defer` instead.
 * - `defer`: come back after `delaySeconds`, never dropped. `terminal-record`: the record is DEAD or FAILED
 *   but the message was sent *after* the job ended — only a redrive (a move task gives messages a new
 *   enqueue time) or a retry does that: it arrived before its record was reset to QUEUED. `hand-off`: see
 *   `dead-letter`.
 */
export type DeliveryDecision =
  | { readonly action: 'run'; readonly attempt: number }
  | { readonly action: 'ack'; readonly reason: 'missing' | 'finished' | 'duplicate' }
  | { readonly action: 'cancel' }
  | { readonly action: 'expire' }
  | { readonly action: 'leave'; readonly reason: 'superseded' }
  | { readonly action: 'defer'; readonly reason: 'terminal-record' | 'hand-off'; readonly delaySeconds: number }
  | { readonly action: 'bury'; readonly reason: 'attempt-lost' | 'receive-limit' }
  | { readonly action: 'dead-letter' };

/**
 * An edit (`PATCH /v1/jobs/{id}`) sends the job's message of the next generation, then writes the record
 * (functions/api/job-edit.ts). A message ahead of its record is such a message whose write has not landed
 * yet: it waits (`early`), coming back every `EDIT_RETRY_SECONDS`, for up to `EDIT_GRACE_SECONDS` from its
 * send — longer than the API function may run — after which the write surely never landed (the edit
 * failed) and it is acknowledged (`orphan`). A message behind its record is an older copy (`stale`).
 */
export const EDIT_GRACE_SECONDS = 3 * API_FUNCTION_TIMEOUT_SECONDS;
export const EDIT_RETRY_SECONDS = 5;

export type GenerationVerdict =
  | { readonly verdict: 'current' | 'stale' | 'orphan' }
  | { readonly verdict: 'early'; readonly delaySeconds: number };

export function generationVerdict(recordGeneration: number, messageGeneration: number, sentAt: number | undefined, now: number): GenerationVerdict {
  if (messageGeneration === recordGeneration) return { verdict: 'current' };
  if (messageGeneration < recordGeneration) return { verdict: 'stale' };
  const sinceSendMs = sentAt === undefined ? Number.POSITIVE_INFINITY : now - sentAt;
  return sinceSendMs < EDIT_GRACE_SECONDS * 1000 ? { verdict: 'early', delaySeconds: EDIT_RETRY_SECONDS } : { verdict: 'orphan' };
}

/** How long a message whose record is DEAD/FAILED waits for a redrive to reset the record. */
export const REDRIVE_GRACE_SECONDS = 10;

/** What the worker knows of one delivery besides the record. */
export interface DeliveryFacts {
  /** SQS ApproximateReceiveCount of this delivery. */
  readonly receiveCount: number;
  /** SQS SentTimestamp (epoch ms): when this message was enqueued (a redriven one: when it was moved). */
  readonly sentAt?: number;
  readonly messageId?: string;
  /** The job type's maxAttempts: handler runs before the job is DEAD. */
  readonly maxAttempts: number;
  /** The queue's redrive maxReceiveCount: the receive after it would move the message to the DLQ. */
  readonly maxReceiveCount: number;
  /** The consumer's function timeout: no delivery runs longer. */
  readonly timeoutSeconds: number;
  /** Now (epoch ms). */
  readonly now: number;
}

export function interpretDelivery(record: JobRecord | undefined, facts: DeliveryFacts): DeliveryDecision {
  const { receiveCount, sentAt, messageId, maxAttempts, maxReceiveCount, timeoutSeconds, now } = facts;
  if (!record) return { action: 'ack', reason: 'missing' };
  switch (record.status) {
    case 'SUCCEEDED':
    case 'CANCELLED':
    case 'EXPIRED':
      return { action: 'ack', reason: 'finished' };
    case 'FAILED':
    case 'DEAD': {
      const endedAt = record.finishedAt ? Date.parse(record.finishedAt) : Number.NaN;
      const sentAfterEnd = sentAt !== undefined && Number.isFinite(endedAt) && sentAt > endedAt;
      if (sentAfterEnd) return { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS };
      if (record.status === 'DEAD' && holdsJob(record, messageId)) {
        if (receiveCount <= holderReceiveCount(record)) return { action: 'leave', reason: 'superseded' };
        const handOffOpenMs = (Number.isFinite(endedAt) ? endedAt : now) + timeoutSeconds * 1000 - now;
        return handOffOpenMs > 0 ? { action: 'defer', reason: 'hand-off', delaySeconds: Math.ceil(handOffOpenMs / 1000) } : { action: 'dead-letter' };
      }
      return { action: 'ack', reason: 'finished' };
    }
    case 'QUEUED':
    case 'RETRYING':
    case 'RUNNING': {
      // A QUEUED record has no holder (a retry or redrive started it afresh), whatever an older write left.
      if (record.status !== 'QUEUED') {
        if (!holdsJob(record, messageId)) return { action: 'ack', reason: 'duplicate' };
        if (receiveCount <= holderReceiveCount(record)) return { action: 'leave', reason: 'superseded' };
      }
      // Only a job that never started expires: once it ran, its retries are not held to its start-by time.
      if (record.status === 'QUEUED' && record.startBy !== undefined && now > Date.parse(record.startBy)) return { action: 'expire' };
      if (record.cancelRequested) return { action: 'cancel' };
      if (record.attempt >= maxAttempts) return { action: 'bury', reason: 'attempt-lost' };
      if (receiveCount >= maxReceiveCount) return { action: 'bury', reason: 'receive-limit' };
      return { action: 'run', attempt: record.attempt + 1 };
    }
  }
}

/**
 * After one of this delivery's conditional writes lost: acknowledge when the job needs no message any
 * more (SUCCEEDED, CANCELLED, FAILED, QUEUED under a newer generation, or no record), or when another
 * message holds it (this one is a duplicate copy). A DEAD job recorded by this very receive (its write
 * landed, the answer was lost) still has to reach the DLQ: `dead-letter`. DEAD under another receive of
 * this message, or a job still in progress under it: leave it alone (that receive hands it on, or it
 * comes back — `interpretDelivery` — if its consumer died).
 */
export function interpretConflict(record: JobRecord | undefined, messageId: string | undefined, receiveCount: number): 'ack' | 'leave' | 'dead-letter' {
  if (!record) return 'ack';
  if (record.status === 'SUCCEEDED' || record.status === 'CANCELLED' || record.status === 'FAILED' || record.status === 'EXPIRED' || record.status === 'QUEUED') return 'ack';
  if (record.messageId !== undefined && !holdsJob(record, messageId)) return 'ack';
  if (record.status === 'DEAD') return receiveCount === holderReceiveCount(record) ? 'dead-letter' : 'leave';
  return 'leave';
}

/**
 * Whether a record in `status` must name the message that wrote it. Only a DEAD record's (its own
 * message still has to reach the DLQ) and a job still in progress (the lease) are ever compared; a
 * SUCCEEDED, FAILED or CANCELLED record is acknowledged whatever message arrives, so its final write drops
 * the holder (about 60 bytes of every finished item).
 */
export function recordsHolder(status: JobRecord['status']): boolean {
  return status !== 'SUCCEEDED' && status !== 'FAILED' && status !== 'CANCELLED' && status !== 'EXPIRED';
}

/** True unless both ids are known and differ: unknown means "maybe the same message": be careful. */
function holdsJob(record: JobRecord, messageId: string | undefined): boolean {
  return record.messageId === undefined || messageId === undefined || record.messageId === messageId;
}

/**
 * The receive count of the delivery that holds the job. Records written before holders carried one were
 * written when the attempt *was* the receive count.
 */
function holderReceiveCount(record: JobRecord): number {
  return record.receiveCount ?? record.attempt;
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
