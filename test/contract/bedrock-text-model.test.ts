import { BedrockRuntimeClient, ConverseCommand, type ConverseCommandOutput, InternalServerException, ModelTimeoutException, ServiceUnavailableException, ThrottlingException, ValidationException, AccessDeniedException } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { BedrockTextModel } from '../../functions/adapters/aws/bedrock-text-model.js';
import { PermanentJobError, RetryableJobError } from '../../shared/domain/errors.js';

/*
 * The Bedrock adapter against the Converse API's documented shapes (no Bedrock server ships on npm):
 * responses as https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 * gives them — output.message.content[].text, stopReason, usage {inputTokens, outputTokens,
 * totalTokens}, metrics {latencyMs} — and its documented errors by name and HTTP status.
 */
const bedrock = mockClient(BedrockRuntimeClient);

afterEach(() => {
  bedrock.reset();
});

const MODEL_ID = 'amazon.nova-micro-v1:0';

function model(): BedrockTextModel {
  return new BedrockTextModel({ client: new BedrockRuntimeClient({ region: 'us-east-1' }), modelId: MODEL_ID });
}

const request = {
  system: 'You write briefings.',
  messages: [{ role: 'user' as const, text: 'Summarise: ## Sales\n- Revenue up 12%' }],
  maxTokens: 256,
  temperature: 0.2,
};

/** A Converse response as the service returns it (recorded shape; values invented). */
function converseResponse(overrides: Partial<ConverseCommandOutput> = {}): ConverseCommandOutput {
  return {
    $metadata: { httpStatusCode: 200, requestId: '7b8c0f0e-0000-4000-8000-000000000000', attempts: 1, totalRetryDelay: 0 },
    output: { message: { role: 'assistant', content: [{ text: 'Revenue grew 12 %.' }, { text: '\n## Sales\n- Strong quarter' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 31, outputTokens: 14, totalTokens: 45 },
    metrics: { latencyMs: 412 },
    ...overrides,
  };
}

/** An error as the SDK raises it for a documented Converse error (its constructor takes the service's fields). */
function serviceError(ErrorClass: abstract new (...args: never[]) => Error, status: number): Error {
  const Construct = ErrorClass as unknown as new (options: { message: string; $metadata: object }) => Error;
  return new Construct({ message: `${ErrorClass.name} (recorded message)`, $metadata: { httpStatusCode: status } });
}

describe('Class: BedrockTextModel', () => {
  it('sends one Converse request with the model, system prompt, messages and inference settings', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseResponse());

    // Act
    await model().generate(request, { signal: new AbortController().signal });

    // Assess
    expect(bedrock.commandCalls(ConverseCommand)).toHaveLength(1);
    expect(bedrock.commandCalls(ConverseCommand)[0]!.args[0].input).toEqual({
      modelId: MODEL_ID,
      system: [{ text: 'You write briefings.' }],
      messages: [{ role: 'user', content: [{ text: 'Summarise: ## Sales\n- Revenue up 12%' }] }],
      inferenceConfig: { maxTokens: 256, temperature: 0.2 },
    });
  });

  it('returns the reply text, the stop reason and the token usage', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseResponse({ stopReason: 'max_tokens' }));

    // Act
    const reply = await model().generate(request, { signal: new AbortController().signal });

    // Assess
    expect(reply).toEqual({ text: 'Revenue grew 12 %.\n## Sales\n- Strong quarter', stopReason: 'max_tokens', usage: { inputTokens: 31, outputTokens: 14, totalTokens: 45 } });
  });

  it.each([
    ['guardrail_intervened'],
    ['content_filtered'],
  ])('fails permanently with the reason when the reply is withheld (stopReason %s)', async (stopReason) => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseResponse({ stopReason: stopReason as ConverseCommandOutput['stopReason'], output: { message: { role: 'assistant', content: [{ text: 'Sorry, I cannot help with that.' }] } } }));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(failure).toMatchObject({ code: 'CONTENT_FILTERED', message: expect.stringContaining(stopReason) });
  });

  it.each([
    ['ThrottlingException', ThrottlingException, 429, 'MODEL_THROTTLED'],
    ['ServiceUnavailableException', ServiceUnavailableException, 503, 'MODEL_UNAVAILABLE'],
    ['InternalServerException', InternalServerException, 500, 'MODEL_UNAVAILABLE'],
    ['ModelTimeoutException', ModelTimeoutException, 408, 'MODEL_UNAVAILABLE'],
  ] as const)('makes %s a retryable failure (the job backs off and tries again)', async (_name, ErrorClass, status, code) => {
    // Prepare
    bedrock.on(ConverseCommand).rejects(serviceError(ErrorClass, status));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure).toMatchObject({ code });
  });

  it.each([
    ['ValidationException', ValidationException, 400, 'MODEL_VALIDATION'],
    ['AccessDeniedException', AccessDeniedException, 403, 'MODEL_ACCESS_DENIED'],
  ] as const)('makes %s a permanent failure naming the reason', async (name, ErrorClass, status, code) => {
    // Prepare
    bedrock.on(ConverseCommand).rejects(serviceError(ErrorClass, status));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(failure).toMatchObject({ code, message: expect.stringContaining(name) });
  });

  it('treats an unknown 5xx by status as retryable, and a connection that never answered too', async () => {
    // Prepare
    const unknown5xx = Object.assign(new Error('Bad gateway'), { name: 'SomethingNew', $metadata: { httpStatusCode: 502 }, $fault: 'server' });
    const reset = Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
    bedrock.on(ConverseCommand).rejectsOnce(unknown5xx).rejectsOnce(reset);

    // Act
    const first = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);
    const second = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(first).toBeInstanceOf(RetryableJobError);
    expect(second).toMatchObject({ name: 'RetryableJobError', code: 'MODEL_UNREACHABLE' });
  });

  it('rethrows the job signal’s reason when the call was aborted (timeout or cancel), not a model error', async () => {
    // Prepare
    const controller = new AbortController();
    const reason = new Error('job exceeded its time budget');
    bedrock.on(ConverseCommand).callsFake(() => {
      controller.abort(reason);
      throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    });

    // Act
    const failure = await model().generate(request, { signal: controller.signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBe(reason);
  });

  it('fails permanently when the reply has no text', async () => {
    // Prepare
    bedrock.on(ConverseCommand).resolves(converseResponse({ output: { message: { role: 'assistant', content: [] } } }));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'PermanentJobError', code: 'MODEL_EMPTY_REPLY' });
  });
});
