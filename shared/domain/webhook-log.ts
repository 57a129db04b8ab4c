/**
 * The delivery history of a job's completion webhook, kept on the job's own record so that
 * `GET /v1/jobs/{id}` shows it: the state, the total count of attempts, and the last few of them.
 *
 * - **attempt**: one POST to the callback URL (one receive of the webhook message). Its `key` is the
 *   SQS message id and receive count: a duplicate delivery of the same receive carries the same key
 *   and is recorded once. A redrive sends a new message (new id), so its attempts are new ones.
 * - **state**: `pending` (queued, or failed and due again at `nextAttemptAt`), `delivered` (2xx),
 *   `failed` (refused for good: a 4xx other than 408/429, or a callback address that is not public),
 *   `dead-lettered` (every attempt failed; the delivery waits in the webhooks DLQ for a redrive).
 */
export const WEBHOOK_STATES = ['pending', 'delivered', 'failed', 'dead-lettered'] as const;
export type WebhookState = (typeof WEBHOOK_STATES)[number];

/** Why a POST got no HTTP answer. */
export const WEBHOOK_ERROR_CLASSES = ['timeout', 'connection-refused', 'dns', 'address-refused', 'reset', 'tls', 'network'] as const;
export type WebhookErrorClass = (typeof WEBHOOK_ERROR_CLASSES)[number];

export interface WebhookAttempt {
  /** messageId:receiveCount of the delivery: what tells a duplicate from a new attempt. */
  readonly key: string;
  readonly at: string;
  /** The receiver's HTTP status, when it answered. */
  readonly status?: number;
  /** Why no status, when the receiver did not answer. */
  readonly error?: WebhookErrorClass;
  /** When the next attempt is due, if there is one. */
  readonly nextAttemptAt?: string;
}

export interface WebhookLog {
  /** The terminal state (its `finishedAt`) this webhook announces: a later ending starts a new log. */
  readonly finishedAt: string;
  readonly state: WebhookState;
  /** Every attempt recorded, redrives included. */
  readonly attempts: number;
  /** The last {@link WEBHOOK_ATTEMPTS_KEPT} attempts, oldest first. */
  readonly recent: readonly WebhookAttempt[];
}

/** Attempts kept on the record: about 100 bytes each, so the record stays near one write unit. */
export const WEBHOOK_ATTEMPTS_KEPT = 10;

/** The key of one receive of one webhook message. */
export function webhookAttemptKey(messageId: string, receiveCount: number): string {
  return `${messageId}:${receiveCount}`;
}

/**
 * The log after one more attempt, or undefined when there is nothing to write: the attempt is already
 * recorded (a duplicate delivery of the same receive: SQS's duplicates come within moments, well inside
 * the attempts kept), or it belongs to an earlier ending than the log's. Receives of one message may
 * record out of order (a slow consumer whose lease ran out): each is still its own attempt.
 */
export function appendWebhookAttempt(log: WebhookLog | undefined, finishedAt: string, state: WebhookState, attempt: WebhookAttempt): WebhookLog | undefined {
  if (log && log.finishedAt > finishedAt) return undefined;
  const current = log?.finishedAt === finishedAt ? log : undefined;
  if (current?.recent.some((a) => a.key === attempt.key)) return undefined;
  const recent = [...(current?.recent ?? []), attempt].slice(-WEBHOOK_ATTEMPTS_KEPT);
  return { finishedAt, state, attempts: (current?.attempts ?? 0) + 1, recent };
}
