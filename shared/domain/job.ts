/**
 * Glossary
 * - **job**: one unit of work of a registered type, with a payload, identified by `jobId` and owned
 *   by a tenant. Its record in the job store is the source of truth for its status.
 * - **attempt**: one run of a job's handler. The record counts them (`attempt`); a delivery runs attempt
 *   `attempt + 1`. Receives that never ran the handler (a throttled Lambda) count nothing.
 * - **queue**: the SQS queue of a job type; a message carries only what locates a job (its id, type
 *   and generation) to a worker, which reads everything else from the record.
 *   Each queue has a dead-letter queue (DLQ): the worker hands it a DEAD job's message.
 * - **worker**: the consumer Lambda of a job type: claims the job, runs its handler, records the outcome.
 * - **tenant**: the owner of an API key; jobs are visible only to their tenant.
 * - **group**: a tenant's jobs sharing a `groupKey` (without one, the tenant's default group): on a FIFO
 *   type they run one at a time in enqueue order; on a standard type groups share the queue fairly.
 */
import type { JobStatus } from './status.js';
import type { WebhookLog } from './webhook-log.js';

export interface JobError {
  readonly code: string;
  readonly message: string;
}

/**
 * A payload or result kept in S3 instead of in the record (past the inline limits of
 * functions/job-data/job-data.ts). The record holds only its size and SHA-256: the object key is
 * derived from the record's tenant and job id and this digest (`jobDataKey`), never stored or taken
 * from input, so a record can only ever lead to its own tenant's object.
 */
export interface StoredDataRef {
  readonly bytes: number;
  readonly sha256: string;
}

export interface JobRecord {
  readonly jobId: string;
  readonly tenant: string;
  readonly type: string;
  readonly status: JobStatus;
  /** Handler runs recorded so far (0 while QUEUED the first time); the next delivery runs attempt + 1. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** 0–100, only ever rises within an attempt. */
  readonly progress: number;
  readonly progressMessage?: string;
  /** The payload, inline; absent when it is stored in S3 (`payloadRef`). */
  readonly payload: unknown;
  readonly payloadRef?: StoredDataRef;
  readonly result?: unknown;
  /** Set instead of `result` when the result is stored in S3. */
  readonly resultRef?: StoredDataRef;
  readonly error?: JobError;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** When a RETRYING job's next attempt becomes due (ISO). */
  readonly nextAttemptAt?: string;
  readonly idempotencyKey?: string;
  /**
   * The SQS message id of the delivery that last wrote the job (claim, retry or DEAD): the job's
   * holder. A distinct duplicate copy (another id) is acknowledged; the holder's own message is compared
   * by `receiveCount`.
   */
  readonly messageId?: string;
  /**
   * The holder's SQS receive count when it wrote: a later receive of the same message means its lease
   * ran out (its consumer died, or its retry is due) and may take over; an older one is left alone.
   */
  readonly receiveCount?: number;
  /** When a delayed or scheduled job becomes due (ISO); absent for a job due at once. */
  readonly runAt?: string;
  /**
   * `ttlSeconds` after it became due (ISO): a job not started by then ends EXPIRED without running.
   * Absent without `ttlSeconds`, and cleared by a retry or redrive (an operator asked for the run).
   */
  readonly startBy?: string;
  /** Where the completion webhook goes (see functions/webhooks/). */
  readonly callbackUrl?: string;
  /**
   * The queue (and consumer pool) it waits in, for a type with priorities; absent = normal. Later sends
   * (a scheduled release, a retry) route by it, also when the payload is stored apart.
   */
  readonly priority?: 'high' | 'low';
  /** The group the enqueue named (shared/jobs/ordering.ts); absent means the tenant's default group. */
  readonly groupKey?: string;
  /** Set by DELETE on a RUNNING job; the handler's signal aborts at its next progress call. */
  readonly cancelRequested?: boolean;
  /** Epoch seconds after which the record is expired (DynamoDB TTL); reads treat it as gone. */
  readonly ttl?: number;
  /**
   * Which message may run this job: 0 (or absent) for the message sent at enqueue, bumped by every
   * selective retry, which sends a new message. An older message (say, the DLQ copy of a job that was
   * retried by id and later redriven) can no longer record anything. A redrive moves the same
   * message back, so it keeps the generation.
   */
  readonly generation?: number;
  /** How many times a redrive put this job back to QUEUED, and when it last did. */
  readonly redriveCount?: number;
  readonly redrivenAt?: string;
  /** How many times an operator retried this job by id, and when they last did. */
  readonly retryCount?: number;
  readonly retriedAt?: string;
  /**
   * Follow-ups a terminal write recorded along with the status (functions/follow-ups/): the
   * `finishedAt` of the terminal state whose completion webhook is owed. Present until the webhook is
   * queued; the flush removes it on the condition that it is unchanged, so a flush is never repeated.
   */
  readonly webhookPending?: string;
  /** The completion webhook's deliveries so far (written by the webhook consumer, shared/domain/webhook-log.ts). */
  readonly webhook?: WebhookLog;
  /**
   * While DEAD: the job's type, which lists it among that type's dead letters (a sparse index on
   * the table), and when (epoch s) its DLQ message has surely expired, so the listing drops it.
   */
  readonly deadLetterType?: string;
  readonly deadLetterUntil?: number;
  /** Whether the job's message is known to exist; absent once it is (see {@link SendPending}). */
  readonly sendPending?: SendPending;
  /**
   * When the recovery sweep should look at this job (ISO), present only while something is owed that
   * no message will bring back: a webhook not yet queued, a held job not yet released, a requeued
   * job whose message is not yet confirmed. A sparse index on the table finds them.
   */
  readonly sweepAt?: string;
  /** The request that created the job (shared/domain/correlation.ts): on its messages, webhook and every log line. */
  readonly correlationId?: string;
}

/**
 * Whether a QUEUED job's message exists yet. Written with the record (enqueue, retry, redrive) and
 * removed by the consumer's first write (which proves the message arrived) or by whoever confirms a
 * send: so a crash between writing the record and sending can be told from a job that waits.
 * - `pending`: the sender is sending (or died doing so);
 * - `held`: a one-time schedule will release it at `runAt`;
 * - `claimed:<ISO>`: a releaser or the sweep claimed the send at that time (the claim lapses after a
 *   lease, in case the claimer died): one conditional write decides who sends.
 */
export type SendPending = 'pending' | 'held' | `claimed:${string}`;

/**
 * What travels in an SQS message body: only what locates the job. The tenant and payload come from
 * the record the worker reads before running (a consistent read it makes anyway), so a message sent
 * by anyone who can SendMessage to the queue cannot run a job as another tenant or with another
 * payload. Small on purpose: SQS bills per 64 KB chunk.
 */
export interface JobMessage {
  readonly jobId: string;
  readonly type: string;
  /** The record's `generation` when this message was sent; absent means 0. */
  readonly generation?: number;
  /** Travels as the SQS message attribute `correlationId`, never in the body (shared/domain/correlation.ts). */
  readonly correlationId?: string;
  /** Routing only: the priority queue the message is sent to (absent = normal). The worker never reads it. */
  readonly priority?: 'high' | 'low';
  /**
   * Routing only: the SQS MessageGroupId (shared/jobs/ordering.ts). It travels as the message's
   * MessageGroupId, not in the body.
   */
  readonly group?: string;
}
