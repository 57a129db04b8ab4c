import type { JobMessage } from '../domain/job.js';

/** The queue side of a job type: where enqueue sends and where retries set their delay. */
export interface JobQueue {
  /**
   * Sends one job message to its type's queue: its priority's queue (`<type>:high`) when the type has
   * one, else the type's queue, whatever priority the message names. Throws `DependencyUnavailableError`.
   */
  send(message: JobMessage, options?: { delaySeconds?: number }): Promise<void>;
  /**
   * Sets a received message's visibility timeout (the retry backoff) on the queue it came from:
   * `sourceArn` (the SQS record's eventSourceARN) when given, else the type's queue.
   */
  changeVisibility(type: string, receiptHandle: string, visibilityTimeoutSeconds: number, sourceArn?: string): Promise<void>;
}

/** The queue as a job type's consumer uses it: a retry's delay, and the hand-off of a DEAD job's message. */
export interface ConsumerQueue extends JobQueue {
  /**
   * Sends a received message's body to its type's dead-letter queue (the consumer then acknowledges
   * the original). Throws `DependencyUnavailableError`.
   */
  deadLetter(type: string, body: string, options?: DeadLetterOptions): Promise<void>;
}

/** What a dead-letter hand-off needs on a FIFO DLQ (a standard DLQ takes the group too, for fairness after a redrive). */
export interface DeadLetterOptions {
  /** The message's group (its MessageGroupId on the source queue): the DLQ keeps each group in order. */
  readonly group?: string;
  /**
   * FIFO: the hand-off's deduplication id — the source message's id, so a hand-off repeated within five
   * minutes (its acknowledgement was lost) is stored once, and the same job dying again after a redrive
   * (a move task gives the message a new id) is a new dead letter.
   */
  readonly deduplicationId?: string;
}
