import type { Logger } from '../../shared/ports/logger.js';

/** What a job handler gets besides its payload (BullMQ's job + signal, graphile-worker's helpers). */
export interface JobContext {
  readonly jobId: string;
  readonly tenant: string;
  readonly type: string;
  /** The job's `groupKey`, when its enqueue named one (shared/jobs/ordering.ts). */
  readonly groupKey?: string;
  /** 1 on the first run: the handler runs recorded on the job so far, plus one (receives that never ran count nothing). */
  readonly attempt: number;
  readonly maxAttempts: number;
  /**
   * Aborts a margin before the function deadline (reason: JobTimeoutError) or when the job is
   * cancelled while running (reason: JobCancelledError). Pass it to fetch/SDK calls.
   */
  readonly signal: AbortSignal;
  /**
   * Reports progress 0–100 (only rises). Writes are throttled to ~1 per second; the last value is
   * always flushed. Throws the signal's reason once the job was cancelled or timed out.
   */
  progress(percent: number, message?: string): Promise<void>;
  readonly logger: Logger;
}

export type JobHandler<TPayload, TResult = unknown> = (payload: TPayload, context: JobContext) => Promise<TResult>;

/** The slice of the Lambda context the worker needs (the adapter owns its event types). */
export interface InvocationContext {
  getRemainingTimeInMillis(): number;
  readonly awsRequestId?: string;
}

/** The slice of an SQS event record the worker needs. */
export interface SqsRecordLike {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** `MessageGroupId` (and `SequenceNumber`) come with messages of FIFO and fair queues. */
  readonly attributes: { readonly ApproximateReceiveCount?: string; readonly SentTimestamp?: string; readonly MessageGroupId?: string; readonly SequenceNumber?: string };
  /** The message attributes, as Lambda's SQS event carries them (the correlation id travels here). */
  readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string; readonly dataType: string }>>;
  /**
   * The queue the record came from. One consumer may read several queues (a job type's priority
   * lanes), and a receipt handle is only valid on the queue that issued it.
   */
  readonly eventSourceARN?: string;
}

export interface SqsEventLike {
  readonly Records: readonly SqsRecordLike[];
}

export interface BatchResponse {
  batchItemFailures: { itemIdentifier: string }[];
}
