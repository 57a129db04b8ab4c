import { escapeUri } from '@smithy/core/protocols';
import { noTracer, type Tracer } from '../../../shared/ports/tracer.js';
import { SignedHttp, type CredentialSource, type RetrySettings } from './signed-http.js';
import { jsonRequest, restJsonError, serviceEndpoint } from './rest-json.js';

/** The parts of a Converse request Conveyor sends (text only). */
export interface ConverseInput {
  readonly modelId: string;
  readonly messages: readonly { readonly role: 'user' | 'assistant'; readonly content: readonly { readonly text: string }[] }[];
  readonly system?: readonly { readonly text: string }[];
  readonly inferenceConfig?: { readonly maxTokens?: number; readonly temperature?: number };
}

/** The parts of a Converse response Conveyor reads. */
export interface ConverseOutput {
  readonly output?: { readonly message?: { readonly role?: string; readonly content?: readonly { readonly text?: string }[] } };
  readonly stopReason?: string;
  readonly usage?: { readonly inputTokens?: number; readonly outputTokens?: number; readonly totalTokens?: number };
}

/** What BedrockTextModel needs of Bedrock Runtime. */
export interface ConverseApi {
  converse(input: ConverseInput, options: { readonly signal?: AbortSignal | undefined }): Promise<ConverseOutput>;
}

export interface BedrockConverseClientOptions {
  readonly region: string;
  /** A local Converse endpoint (`http://127.0.0.1:port`; AWS_ENDPOINT_URL_BEDROCK_RUNTIME). */
  readonly endpoint?: string | undefined;
  readonly credentials?: CredentialSource | undefined;
  /**
   * A Bedrock API key (AWS_BEARER_TOKEN_BEDROCK): sent as `Authorization: Bearer …` instead of a
   * SigV4 signature, as the SDK's Bedrock Runtime client prefers it when that variable is set.
   * https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
   */
  readonly bearerToken?: string | undefined;
  /** Each call as an X-Ray subsegment when the stage traces (tracing.ts `currentTracer`). */
  readonly tracer?: Tracer | undefined;
  readonly retry?: Partial<RetrySettings> | undefined;
  /** Milliseconds the connection may stay silent (the model still generating) before the call fails. */
  readonly socketTimeoutMs?: number | undefined;
  readonly now?: (() => Date) | undefined;
}

/**
 * Bedrock Runtime's Converse over its REST-JSON API — `POST /model/{modelId}/converse` on
 * `bedrock-runtime.<region>.amazonaws.com`, signed for the service `bedrock` — the one Bedrock call
 * Conveyor makes, without @aws-sdk/client-bedrock-runtime (about 60 KB of the ai consumer's bundle,
 * with the event-stream and HTTP/2 code only its streaming operations use). Errors are AwsServiceErrors
 * named by the `x-amzn-ErrorType` header (ThrottlingException, ValidationException…), as the SDK
 * names its exceptions. HTTP/1.1: the SDK speaks HTTP/2 for the bidirectional stream only.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
export class BedrockConverseClient implements ConverseApi {
  readonly #http: SignedHttp;
  readonly #endpoint: URL;
  readonly #tracer: Tracer;

  constructor(options: BedrockConverseClientOptions) {
    this.#endpoint = serviceEndpoint('bedrock-runtime', options.region, options.endpoint);
    this.#tracer = options.tracer ?? noTracer;
    this.#http = new SignedHttp({
      service: 'bedrock',
      s3Signing: false,
      region: options.region,
      credentials: options.credentials,
      bearerToken: options.bearerToken,
      retry: options.retry,
      socketTimeoutMs: options.socketTimeoutMs,
      now: options.now,
    });
  }

  async converse(input: ConverseInput, options: { readonly signal?: AbortSignal | undefined } = {}): Promise<ConverseOutput> {
    const { modelId, ...fields } = input;
    // The model id is one path label, URI-encoded as the SDK encodes it (`amazon.nova-micro-v1:0` →
    // `amazon.nova-micro-v1%3A0`; an inference profile ARN's '/' → %2F); the signer encodes the
    // path once more for the signature, as every service but S3 expects.
    const request = jsonRequest(this.#endpoint, 'POST', `/model/${escapeUri(modelId)}/converse`, fields);
    const response = await this.#tracer.span('BedrockRuntime.Converse', {}, () => this.#http.send(request, restJsonError, options.signal));
    // An empty body is a response without fields, as the SDK reads it; a body that is not JSON throws (SyntaxError), as there.
    const text = new TextDecoder().decode(response.body);
    return (text.trim() ? JSON.parse(text) : {}) as ConverseOutput;
  }

  destroy(): void {
    this.#http.destroy();
  }
}
