import { noTracer, type Tracer } from '../../../shared/ports/tracer.js';
import { jsonRequest, restJsonError, serviceEndpoint } from './rest-json.js';
import { SignedHttp, type CredentialSource } from './signed-http.js';

export interface SesEmailClientOptions {
  readonly region: string;
  /** A local SES v2 API (`http://127.0.0.1:port`). */
  readonly endpoint?: string | undefined;
  readonly credentials?: CredentialSource | undefined;
  /** Each call as an X-Ray subsegment when the stage traces (functions/adapters/aws/tracing.ts `currentTracer`). */
  readonly tracer?: Tracer | undefined;
  /** Milliseconds a send may wait for SES's answer before it fails with a TimeoutError (ETIMEDOUT). */
  readonly requestTimeoutMs: number;
}

interface Content {
  readonly Data: string;
  readonly Charset?: string;
}

/** The SendEmail fields Conveyor sends (a Simple message), named as the API names them. */
export interface SendEmailInput {
  readonly FromEmailAddress: string;
  readonly Destination: { readonly ToAddresses: readonly string[]; readonly CcAddresses?: readonly string[]; readonly BccAddresses?: readonly string[] };
  readonly ReplyToAddresses?: readonly string[];
  readonly Content: { readonly Simple: { readonly Subject: Content; readonly Body: { readonly Html?: Content; readonly Text?: Content } } };
  readonly ConfigurationSetName?: string;
}

/**
 * SES v2 `SendEmail` over its REST-JSON API (`POST /v2/email/outbound-emails`, answered with
 * `{"MessageId": …}`), the one SES call Conveyor makes, signed with the SDK's SigV4 signer (signing
 * name `ses`) on `email.<region>.amazonaws.com`, as @aws-sdk/client-sesv2 sends it. Errors are
 * AwsServiceErrors named by SES's error type (MessageRejected, TooManyRequestsException…), read from
 * the `x-amzn-ErrorType` header or the body as the SDK reads them (rest-json.ts).
 * https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html
 *
 * One attempt only, never retried here: SendEmail has no idempotency token, so a second try after a
 * timeout or a 5xx could send the mail twice. The job queue retries instead, after the e-mail handler
 * has recorded what it knows (functions/jobs/email/handler.ts, ses-mailer.ts `classifySesError`).
 */
export class SesEmailClient {
  readonly #http: SignedHttp;
  readonly #endpoint: URL;
  readonly #tracer: Tracer;

  constructor(options: SesEmailClientOptions) {
    this.#endpoint = serviceEndpoint('email', options.region, options.endpoint);
    this.#tracer = options.tracer ?? noTracer;
    this.#http = new SignedHttp({
      service: 'ses',
      s3Signing: false,
      region: options.region,
      credentials: options.credentials,
      retry: { maxAttempts: 1 },
      requestTimeoutMs: options.requestTimeoutMs,
    });
  }

  /** Sends the message; `MessageId` is SES's id for it (absent only if SES answered 200 without one). */
  async sendEmail(input: SendEmailInput, options: { signal?: AbortSignal | undefined } = {}): Promise<{ MessageId?: string }> {
    const request = jsonRequest(this.#endpoint, 'POST', '/v2/email/outbound-emails', input);
    const response = await this.#tracer.span('SES.SendEmail', {}, () => this.#http.send(request, restJsonError, options.signal));
    return { ...messageIdOf(response.body) };
  }

  destroy(): void {
    this.#http.destroy();
  }
}

function messageIdOf(body: Uint8Array): { MessageId?: string } {
  try {
    const data: unknown = JSON.parse(new TextDecoder().decode(body));
    const id = data && typeof data === 'object' ? (data as { MessageId?: unknown }).MessageId : undefined;
    return typeof id === 'string' && id.length > 0 ? { MessageId: id } : {};
  } catch {
    // A 200 whose body is not JSON: SES took the request; the mailer reports the missing id.
    return {};
  }
}
