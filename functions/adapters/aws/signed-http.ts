import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import type { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler, streamCollector } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';

/*
 * What the small S3 and Lambda clients (s3-object-client.ts, lambda-mappings-client.ts) share: the
 * SDK's own SigV4 signer, its Node transport (keep-alive agents, abort signal, socket timeout) and its
 * credential chain (in the Lambda bundles: the environment, lambda-credentials.ts), with the SDK's
 * standard retry mode for the calls they make. They replace @aws-sdk/client-s3 and client-lambda,
 * which cost the functions about 100 KB and 71 KB of bundle for four S3 operations and one Lambda one.
 */

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export type CredentialSource = AwsCredentials | (() => Promise<AwsCredentials>);

/** An AWS service's error answer, shaped as the SDK's are (name = the service's code) so `classifyAwsError` reads it the same. */
export class AwsServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly requestId?: string; readonly attempts: number };

  constructor(code: string, message: string, status: number, requestId: string | undefined, attempts: number) {
    super(message);
    this.name = code;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, ...(requestId ? { requestId } : {}), attempts };
  }
}

/** How a call is retried: the SDK's standard mode (3 attempts, full-jitter exponential backoff from 100 ms, capped at 20 s). */
export interface RetrySettings {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

// https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html (standard: three attempts)
export const STANDARD_RETRY: RetrySettings = {
  maxAttempts: 3,
  baseDelayMs: 100,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: Math.random,
};
const MAX_DELAY_MS = 20_000;

/** Throttling codes the SDK retries (besides 500/502/503/504 and 429). */
const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottledException', 'TooManyRequestsException', 'ProvisionedThroughputExceededException', 'TransactionInProgressException', 'RequestLimitExceeded', 'BandwidthLimitExceeded', 'LimitExceededException', 'RequestThrottled', 'SlowDown', 'PriorRequestNotComplete', 'EC2ThrottledException', 'RequestTimeout', 'RequestTimeoutException']);
/** Connection failures with no answer from the service: the request may be sent again (idempotent calls only). */
const TRANSIENT_NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND']);

function retryable(error: unknown): boolean {
  if (error instanceof AwsServiceError) {
    const status = error.$metadata.httpStatusCode;
    return THROTTLING.has(error.name) || status === 429 || status === 500 || status === 502 || status === 503 || status === 504;
  }
  if (!(error instanceof Error)) return false;
  if (error.name === 'AbortError') return false;
  const code = (error as { code?: unknown }).code;
  return error.name === 'TimeoutError' || (typeof code === 'string' && TRANSIENT_NETWORK.has(code));
}

export interface SignedResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

export interface SignedHttpOptions {
  readonly service: 's3' | 'lambda' | 'ses' | 'bedrock';
  readonly region: string;
  /** Explicit credentials (local servers, tests); otherwise the SDK's default chain, as the SDK clients use. */
  readonly credentials?: CredentialSource | undefined;
  /** S3 signs its path as sent and always sends x-amz-content-sha256; other services double-encode and need not. */
  readonly s3Signing: boolean;
  /** A bearer token (Bedrock API keys): sent as `Authorization: Bearer …` in place of a SigV4 signature. */
  readonly bearerToken?: string | undefined;
  readonly retry?: Partial<RetrySettings> | undefined;
  /** The signing clock (tests fix it). */
  readonly now?: (() => Date) | undefined;
  /** Milliseconds a socket may stay idle mid-request before the attempt fails (and is retried). */
  readonly socketTimeoutMs?: number | undefined;
  /**
   * Milliseconds from sending to the answer's headers, after which the attempt fails with a TimeoutError
   * (code ETIMEDOUT): the SDK's `requestTimeout` with `throwOnRequestTimeout`, in place of the settings above.
   */
  readonly requestTimeoutMs?: number | undefined;
}

/** Signs and sends requests to one AWS service, retrying what is safe to retry. */
export class SignedHttp {
  readonly signer: SignatureV4;
  readonly #handler: NodeHttpHandler;
  readonly #retry: RetrySettings;
  readonly #now: () => Date;
  readonly #bearerToken: string | undefined;

  constructor(options: SignedHttpOptions) {
    this.signer = new SignatureV4({
      service: options.service,
      region: options.region,
      credentials: options.credentials ?? defaultProvider(),
      sha256: Sha256,
      // S3 is the one service whose canonical URI is the path as sent, each segment URI-encoded once
      // (the callers encode it); every other service encodes it a second time for the signature.
      // https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html (canonical URI)
      // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (CanonicalURI)
      uriEscapePath: !options.s3Signing,
      // S3 requires x-amz-content-sha256 on every SigV4 request; the signer adds it with the payload's hash.
      applyChecksum: options.s3Signing,
    });
    // socketTimeout, not a bare requestTimeout: the handler only logs a warning when a requestTimeout
    // passes (unless throwOnRequestTimeout), while a socket idle this long fails the attempt with a
    // TimeoutError. A call with a deadline on its answer (SES) takes the SDK's requestTimeout with throw.
    this.#handler = new NodeHttpHandler(
      options.requestTimeoutMs === undefined
        ? { socketTimeout: options.socketTimeoutMs ?? 30_000, connectionTimeout: 5_000 }
        : { requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true },
    );
    this.#retry = { ...STANDARD_RETRY, ...options.retry };
    this.#now = options.now ?? (() => new Date());
    this.#bearerToken = options.bearerToken;
  }

  now(): Date {
    return this.#now();
  }

  /**
   * Signs `request` afresh for each attempt (the date moves) and sends it; answers below 300 come
   * back, others throw an AwsServiceError built by `parseError` from the answer.
   */
  async send(request: HttpRequest, parseError: (response: SignedResponse) => { code?: string | undefined; message?: string | undefined }, signal?: AbortSignal): Promise<SignedResponse> {
    for (let attempt = 1; ; attempt++) {
      try {
        const signed = this.#bearerToken === undefined ? await this.signer.sign(request, { signingDate: this.#now() }) : withBearer(request, this.#bearerToken);
        const { response } = await this.#handler.handle(signed as HttpRequest, signal ? { abortSignal: signal } : {});
        const body = response.body ? await streamCollector(response.body) : new Uint8Array();
        const headers = Object.fromEntries(Object.entries(response.headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
        const answer: SignedResponse = { status: response.statusCode, headers, body };
        if (answer.status < 300) return answer;
        const { code, message } = parseError(answer);
        const requestId = headers['x-amz-request-id'] ?? headers['x-amzn-requestid'];
        throw new AwsServiceError(code ?? `Http${answer.status}`, message ?? `HTTP ${answer.status}`, answer.status, requestId, attempt);
      } catch (error) {
        if (attempt >= this.#retry.maxAttempts || signal?.aborted || !retryable(error)) throw error;
        const cap = Math.min(MAX_DELAY_MS, this.#retry.baseDelayMs * 2 ** (attempt - 1));
        await this.#retry.sleep(Math.floor(this.#retry.random() * cap));
      }
    }
  }

  /** Closes the kept-alive connections. */
  destroy(): void {
    this.#handler.destroy();
  }
}

/** `request` with a bearer token in place of a signature (the SDK's HttpBearerAuthSigner does just this). */
function withBearer(request: HttpRequest, token: string): HttpRequest {
  const copy = request.clone();
  copy.headers.authorization = `Bearer ${token}`;
  return copy;
}

