/**
 * Glossary
 * - **job**: one unit of work of a registered type, with a payload, identified by `jobId` and owned
 *   by a tenant. Its record in the job store is the source of truth for its status.
 * - **attempt**: one run of a job's handler. `attempt` starts at 1 on the first delivery and counts
 *   deliveries that actually ran the handler.
 * - **queue**: the SQS queue of a job type; a message carries the job's id (and payload) to a worker.
 *   Each queue has a dead-letter queue (DLQ) that receives a message after `maxAttempts` receives.
 * - **worker**: the consumer Lambda of a job type: claims the job, runs its handler, records the outcome.
 * - **tenant**: the owner of an API key; jobs are visible only to their tenant.
 */
import type { JobStatus } from './status.js';

export interface JobError {
  readonly code: string;
  readonly message: string;
}

export interface JobRecord {
  readonly jobId: string;
  readonly tenant: string;
  readonly type: string;
  readonly status: JobStatus;
  /** Number of attempts that started running (0 while QUEUED the first time). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** 0–100, only ever rises within an attempt. */
  readonly progress: number;
  readonly progressMessage?: string;
  readonly payload: unknown;
  readonly result?: unknown;
  readonly error?: JobError;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** When a RETRYING job's next attempt becomes due (ISO). */
  readonly nextAttemptAt?: string;
  readonly idempotencyKey?: string;
  /**
   * The SQS message id of the delivery that last wrote the job (claim, retry or outcome). Tells a
   * delivery of that same message (an older receive: leave it alone) from a distinct duplicate copy
   * (safe to acknowledge).
   */
  readonly messageId?: string;
  /** When a delayed or scheduled job becomes due (ISO); absent for a job due at once. */
  readonly runAt?: string;
  /** Where the completion webhook goes (see functions/webhooks/). */
  readonly callbackUrl?: string;
  /** The queue (and consumer pool) it waits in, for a type with priorities; absent = normal. */
  readonly priority?: 'high' | 'low';
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
}

/** What travels in an SQS message body. Small on purpose: SQS bills per 64 KB chunk. */
export interface JobMessage {
  readonly jobId: string;
  readonly type: string;
  readonly tenant: string;
  readonly payload: unknown;
  /** Enqueue time (epoch ms) — lets the worker measure queue latency without a read. */
  readonly enqueuedAt: number;
  /** The record's `generation` when this message was sent; absent means 0. */
  readonly generation?: number;
  /** Routing only: the priority queue the message is sent to (absent = normal). */
  readonly priority?: 'high' | 'low';
}
