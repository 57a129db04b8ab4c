import type { JobMessage } from '../domain/job.js';

/** The queue side of a job type: where enqueue sends and where retries set their delay. */
export interface JobQueue {
  /** Sends one job message to its type's queue. Throws `DependencyUnavailableError` on failure. */
  send(message: JobMessage, options?: { delaySeconds?: number }): Promise<void>;
  /**
   * Sets a received message's visibility timeout (the retry backoff) on the queue it came from:
   * `sourceArn` (the SQS record's eventSourceARN) when given, else the type's queue.
   */
  changeVisibility(type: string, receiptHandle: string, visibilityTimeoutSeconds: number, sourceArn?: string): Promise<void>;
}
