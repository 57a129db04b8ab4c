import type { WebhookAttempt, WebhookState } from '../domain/webhook-log.js';

/** The queue name under which dead-lettered webhook deliveries are listed and redriven (never a job type). */
export const WEBHOOKS_QUEUE = 'webhooks';

export interface WebhookAttemptEntry {
  readonly jobId: string;
  /** The ending the delivery announces (its `finishedAt`). */
  readonly finishedAt: string;
  /** The webhook's state after this attempt. */
  readonly state: WebhookState;
  readonly attempt: WebhookAttempt;
}

/**
 * Where the webhook consumer records what became of each delivery: on the job's record (its `webhook`
 * log), and, for a delivery that went to the webhooks DLQ, an entry in the dead-letter listing.
 */
export interface WebhookLogStore {
  /**
   * Appends one attempt to the job's webhook log with a write conditional on the log it read, so
   * concurrent or duplicate deliveries neither lose an attempt nor count one twice. `duplicate`: the
   * attempt was already recorded (or announces an earlier ending); `missing`: no such job (expired).
   */
  record(entry: WebhookAttemptEntry): Promise<'recorded' | 'duplicate' | 'missing'>;
  /** Lists the job among the dead-lettered webhook deliveries until `until` (epoch s: the DLQ's retention). */
  listDeadLetter(jobId: string, until: number): Promise<void>;
}

/** Takes a job off the dead-lettered webhook deliveries (its delivery was redriven). */
export interface WebhookDeadLetterUnlisting {
  unlist(jobId: string): Promise<void>;
}
