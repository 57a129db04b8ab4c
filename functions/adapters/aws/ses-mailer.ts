import { ConfigurationError, DeliveryUncertainError, PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import type { Mailer, OutgoingEmail } from '../../../shared/ports/mailer.js';
import type { SendEmailInput, SesEmailClient } from './ses-email-client.js';

export interface SesMailerOptions {
  readonly client: Pick<SesEmailClient, 'sendEmail'>;
  /** Optional SES configuration set (event publishing, dedicated IPs). */
  readonly configurationSetName?: string;
}

/** SES answers with these names when we send too fast or over quota: wait and try again. */
const THROTTLING = new Set(['TooManyRequestsException', 'Throttling', 'ThrottlingException', 'LimitExceededException']);
/**
 * SES refused to send for a reason of the deployment, not of the message: the role may not send as
 * this sender (ses:SendEmail on the identity, the ses:FromAddress condition), the configuration set
 * does not exist, the account is paused. Nothing was sent; the job retries with backoff and reaches
 * the DLQ (for a redrive once fixed) rather than failing for good.
 */
const CONFIGURATION = new Set(['AccessDeniedException', 'NotFoundException', 'AccountSuspendedException', 'SendingPausedException', 'MailFromDomainNotVerifiedException']);
/** Errors raised before the request left this machine: SES never saw it. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);
const NOT_SENT_NAMES = new Set(['CredentialsProviderError']);

/**
 * Mailer on SES v2 `SendEmail` (Simple content: subject, HTML and text parts). Every failure is
 * classified by what it says about the message: refused (permanent), not sent (retryable) or
 * unknown (may have been sent) — the e-mail handler's at-most-once bookkeeping depends on it.
 */
export class SesMailer implements Mailer {
  readonly #client: Pick<SesEmailClient, 'sendEmail'>;
  readonly #configurationSetName: string | undefined;

  constructor(options: SesMailerOptions) {
    this.#client = options.client;
    this.#configurationSetName = options.configurationSetName;
  }

  async send(email: OutgoingEmail, options: { signal?: AbortSignal } = {}): Promise<{ messageId: string }> {
    const input: SendEmailInput = {
      FromEmailAddress: email.from,
      Destination: {
        ToAddresses: [...email.to],
        ...(email.cc?.length ? { CcAddresses: [...email.cc] } : {}),
        ...(email.bcc?.length ? { BccAddresses: [...email.bcc] } : {}),
      },
      ...(email.replyTo?.length ? { ReplyToAddresses: [...email.replyTo] } : {}),
      Content: {
        Simple: {
          Subject: { Data: email.subject, Charset: 'UTF-8' },
          Body: { Html: { Data: email.html, Charset: 'UTF-8' }, Text: { Data: email.text, Charset: 'UTF-8' } },
        },
      },
      ...(this.#configurationSetName ? { ConfigurationSetName: this.#configurationSetName } : {}),
    };
    let output;
    try {
      output = await this.#client.sendEmail(input, { signal: options.signal });
    } catch (error) {
      throw classifySesError(error);
    }
    if (!output.MessageId) throw new DeliveryUncertainError('SES accepted the request but returned no message id');
    return { messageId: output.MessageId };
  }
}

/**
 * Maps an SES error (an AwsServiceError when SES answered, a transport error when it did not) to
 * Conveyor's error family by what it means for the message.
 */
export function classifySesError(error: unknown): Error {
  const err = error as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = err?.name ?? 'Error';
  const message = err?.message ?? String(error);
  const status = err?.$metadata?.httpStatusCode;
  if (status !== undefined) {
    // SES answered: it either took the message (no error) or refused it; either way we know.
    if (THROTTLING.has(name) || status === 429) return new RetryableJobError(`SES throttled the send: ${message}`, 'SES_THROTTLED', { cause: error });
    if (status >= 500) return new RetryableJobError(`SES failed (${status} ${name}): ${message}`, 'SES_UNAVAILABLE', { cause: error });
    if (CONFIGURATION.has(name)) return new ConfigurationError(`SES refused the send as a deployment fault — check the sender identity, the function's ses:SendEmail permission and the configuration set (${name}): ${message}`, { cause: error, dependency: 'ses' });
    return new PermanentJobError(`SES rejected the message (${name}): ${message}`, 'SES_REJECTED', { cause: error });
  }
  if (NOT_SENT_NAMES.has(name) || (err?.code !== undefined && NOT_SENT_CODES.has(err.code))) {
    return new RetryableJobError(`could not reach SES (${err.code ?? name}): ${message}`, 'SES_UNREACHABLE', { cause: error });
  }
  // Timeout, reset, abort, or anything else without an answer: SES may have sent it.
  return new DeliveryUncertainError(`no answer from SES (${name}): ${message} — the message may or may not have been sent`, { cause: error });
}
