/** One turn of a conversation sent to a model. */
export interface ModelMessage {
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

export interface ModelRequest {
  /** Instructions that frame the conversation (Converse's `system`). */
  readonly system?: string;
  /** The conversation, oldest first; the last message is the user's. */
  readonly messages: readonly ModelMessage[];
  /** Upper bound on the tokens of the reply. */
  readonly maxTokens: number;
  readonly temperature?: number;
}

export interface ModelUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly totalTokens: number;
}

export interface ModelReply {
  readonly text: string;
  /** Why generation stopped: `end_turn`, `max_tokens`, `stop_sequence`… (Converse's stop reasons). */
  readonly stopReason: string;
  readonly usage: ModelUsage;
}

/**
 * A text-generation model: Amazon Bedrock on AWS, a deterministic local stand-in locally and in tests.
 * Failures are Conveyor's job errors: `RetryableJobError` when trying later can help (throttling,
 * the service's 5xx), `PermanentJobError` when it cannot (a refused request, a content filter that
 * blocked the reply — its code says which).
 */
export interface TextModel {
  /** `bedrock` or `local`; recorded on every result so a reader knows what produced it. */
  readonly provider: 'bedrock' | 'local';
  readonly modelId: string;
  generate(request: ModelRequest, options: { readonly signal: AbortSignal }): Promise<ModelReply>;
}
