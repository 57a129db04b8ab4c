/** One message ready to send: addresses validated, parts rendered. */
export interface OutgoingEmail {
  /** From configuration (`CONVEYOR_EMAIL_FROM`), never from a payload. */
  readonly from: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly bcc?: readonly string[];
  readonly replyTo?: readonly string[];
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

/**
 * Sends e-mail through a provider. `send` resolves with the provider's message id, or throws:
 * - `PermanentJobError` — the provider refused the message (bad address, unverified identity…);
 *   nothing was sent and retrying cannot help;
 * - `RetryableJobError` — throttled, a 5xx, or the request never left; nothing was sent;
 * - `DeliveryUncertainError` — no answer (timeout, reset connection): it may have been sent.
 */
export interface Mailer {
  send(email: OutgoingEmail, options?: { signal?: AbortSignal }): Promise<{ messageId: string }>;
}
