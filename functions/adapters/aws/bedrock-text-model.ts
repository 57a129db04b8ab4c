import { PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import type { ModelReply, ModelRequest, TextModel } from '../../../shared/ports/text-model.js';
import { BedrockConverseClient, type ConverseApi, type ConverseOutput } from './bedrock-converse-client.js';
import type { CredentialSource } from './signed-http.js';
import { currentTracer } from './tracing.js';

export interface BedrockTextModelOptions {
  readonly client: ConverseApi;
  /** A foundation model id, e.g. `amazon.nova-micro-v1:0`: the only model the consumer's role may invoke. */
  readonly modelId: string;
}

/**
 * Errors of the Converse API worth trying again later: throttling and the service's own faults.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors
 * (ThrottlingException 429, ModelNotReadyException 429, ModelTimeoutException 408, ModelErrorException 424,
 * InternalServerException 500, ServiceUnavailableException 503). Everything else — ValidationException 400,
 * AccessDeniedException 403, ResourceNotFoundException 404 — fails the same way every time.
 */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'ModelErrorException',
  'InternalServerException',
  'ServiceUnavailableException',
]);

/**
 * Stop reasons that mean the reply was withheld, not finished: a guardrail intervened, or the model's
 * own content filter blocked it. Asking again gets the same answer.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_MessageStopEvent.html
 */
const REFUSED = new Set(['guardrail_intervened', 'content_filtered']);

/**
 * TextModel on Amazon Bedrock's Converse API (one request, one reply; Converse has the same shape
 * for every model that supports messages). The client makes one try per call: the job queue's
 * backoff with jitter is the retry, so a throttled Lambda waits in the queue, not on the clock.
 */
export class BedrockTextModel implements TextModel {
  readonly provider = 'bedrock' as const;
  readonly modelId: string;
  readonly #client: ConverseApi;

  constructor(options: BedrockTextModelOptions) {
    this.#client = options.client;
    this.modelId = options.modelId;
  }

  async generate(request: ModelRequest, options: { readonly signal: AbortSignal }): Promise<ModelReply> {
    let output: ConverseOutput;
    try {
      output = await this.#client.converse(
        {
          modelId: this.modelId,
          messages: request.messages.map((m) => ({ role: m.role, content: [{ text: m.text }] })),
          ...(request.system ? { system: [{ text: request.system }] } : {}),
          inferenceConfig: { maxTokens: request.maxTokens, ...(request.temperature !== undefined ? { temperature: request.temperature } : {}) },
        },
        { signal: options.signal },
      );
    } catch (error) {
      if (options.signal.aborted) throw options.signal.reason;
      throw classify(error);
    }
    const stopReason = output.stopReason ?? 'end_turn';
    if (REFUSED.has(stopReason)) {
      throw new PermanentJobError(`Bedrock withheld the reply (stopReason ${stopReason}): the request or the reply was blocked by a content filter`, 'CONTENT_FILTERED');
    }
    const text = (output.output?.message?.content ?? []).map((block) => block.text ?? '').join('').trim();
    if (!text) throw new PermanentJobError(`Bedrock returned no text (stopReason ${stopReason})`, 'MODEL_EMPTY_REPLY');
    const inputTokens = output.usage?.inputTokens ?? 0;
    const outputTokens = output.usage?.outputTokens ?? 0;
    return { text, stopReason, usage: { inputTokens, outputTokens, totalTokens: output.usage?.totalTokens ?? inputTokens + outputTokens } };
  }
}

/** A Converse failure as a job error: by the exception's name, else by HTTP status / fault side. */
function classify(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const meta = (error as { $metadata?: { httpStatusCode?: number }; $fault?: string } | null) ?? {};
  const status = meta.$metadata?.httpStatusCode;
  const detail = `Bedrock Converse failed — ${name}: ${message}`;
  if (RETRYABLE.has(name) || (status !== undefined && (status >= 500 || status === 429)) || meta.$fault === 'server') {
    return new RetryableJobError(detail, name === 'ThrottlingException' ? 'MODEL_THROTTLED' : 'MODEL_UNAVAILABLE', { cause: error });
  }
  if (status === undefined && meta.$fault === undefined) {
    // No HTTP answer at all (a reset connection, DNS): the service was not reached; try later.
    return new RetryableJobError(detail, 'MODEL_UNREACHABLE', { cause: error });
  }
  const code = name === 'ValidationException' ? 'MODEL_VALIDATION' : name === 'AccessDeniedException' ? 'MODEL_ACCESS_DENIED' : name === 'ResourceNotFoundException' ? 'MODEL_NOT_FOUND' : 'MODEL_REQUEST_REFUSED';
  return new PermanentJobError(detail, code, { cause: error });
}

/**
 * Milliseconds a Converse call may go without a byte from Bedrock (the model still generating) before
 * it counts as failed (retryable); the job's signal may end it sooner.
 */
export const BEDROCK_REQUEST_TIMEOUT_MS = 60_000;

export interface BedrockClientSettings {
  readonly region: string;
  readonly endpoint?: string | undefined;
  /** A Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) instead of the execution role's SigV4 credentials. */
  readonly bearerToken?: string | undefined;
  readonly credentials?: CredentialSource | undefined;
}

export function createBedrockClient(settings: BedrockClientSettings): BedrockConverseClient {
  return new BedrockConverseClient({
    region: settings.region,
    endpoint: settings.endpoint,
    bearerToken: settings.bearerToken,
    credentials: settings.credentials,
    // Each Converse call is a subsegment of the job when the stage traces (tracing.ts).
    tracer: currentTracer(),
    // One try: retries go through the job queue with backoff (see BedrockTextModel).
    retry: { maxAttempts: 1 },
    socketTimeoutMs: BEDROCK_REQUEST_TIMEOUT_MS,
  });
}
