import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BedrockTextModel, createBedrockClient } from '../../functions/adapters/aws/bedrock-text-model.js';
import { PermanentJobError, RetryableJobError } from '../../shared/domain/errors.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';

/*
 * The Bedrock adapter against the Converse API's documented shapes (no Bedrock server ships on npm),
 * through its own client (createBedrockClient) and a scripted HTTP server on 127.0.0.1: responses as
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html gives them —
 * output.message.content[].text, stopReason, usage {inputTokens, outputTokens, totalTokens}, metrics
 * {latencyMs} — and its documented errors by name (x-amzn-ErrorType) and HTTP status.
 */
let bedrock: ScriptedServer;

beforeAll(async () => {
  bedrock = await startScriptedServer();
});

afterEach(() => {
  bedrock.reset();
});

afterAll(async () => {
  await bedrock.close();
});

const MODEL_ID = 'amazon.nova-micro-v1:0';

function model(): BedrockTextModel {
  const client = createBedrockClient({ region: 'us-east-1', endpoint: bedrock.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'local-secret' } });
  return new BedrockTextModel({ client, modelId: MODEL_ID });
}

const request = {
  system: 'You write briefings.',
  messages: [{ role: 'user' as const, text: 'Summarise: ## Sales\n- Revenue up 12%' }],
  maxTokens: 256,
  temperature: 0.2,
};

/** A Converse response as the service returns it (recorded shape; values invented). */
function converseResponse(overrides: Record<string, unknown> = {}): { status: number; body: string; headers: Record<string, string> } {
  const body = {
    output: { message: { role: 'assistant', content: [{ text: 'Revenue grew 12 %.' }, { text: '\n## Sales\n- Strong quarter' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 31, outputTokens: 14, totalTokens: 45 },
    metrics: { latencyMs: 412 },
    ...overrides,
  };
  return { status: 200, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
}

/** A documented Converse error as the service answers it: its status, its name in x-amzn-ErrorType, `{"message"}`. */
function serviceError(name: string, status: number): { status: number; body: string; headers: Record<string, string> } {
  return { status, body: JSON.stringify({ message: `${name} (recorded message)` }), headers: { 'content-type': 'application/json', 'x-amzn-errortype': `${name}:http://internal.amazon.com/coral/com.amazon.bedrock/` } };
}

describe('Class: BedrockTextModel', () => {
  it('sends one Converse request with the model, system prompt, messages and inference settings', async () => {
    // Prepare
    bedrock.script.push(converseResponse());

    // Act
    await model().generate(request, { signal: new AbortController().signal });

    // Assess: the model id is the path's label (':' URI-encoded, as the SDK sends it), the rest the JSON body
    expect(bedrock.received).toHaveLength(1);
    expect(`${bedrock.received[0]!.method} ${bedrock.received[0]!.url}`).toBe('POST /model/amazon.nova-micro-v1%3A0/converse');
    expect(JSON.parse(new TextDecoder().decode(bedrock.received[0]!.body))).toEqual({
      system: [{ text: 'You write briefings.' }],
      messages: [{ role: 'user', content: [{ text: 'Summarise: ## Sales\n- Revenue up 12%' }] }],
      inferenceConfig: { maxTokens: 256, temperature: 0.2 },
    });
  });

  it('returns the reply text, the stop reason and the token usage', async () => {
    // Prepare
    bedrock.script.push(converseResponse({ stopReason: 'max_tokens' }));

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
    bedrock.script.push(converseResponse({ stopReason, output: { message: { role: 'assistant', content: [{ text: 'Sorry, I cannot help with that.' }] } } }));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(failure).toMatchObject({ code: 'CONTENT_FILTERED', message: expect.stringContaining(stopReason) });
  });

  it.each([
    ['ThrottlingException', 429, 'MODEL_THROTTLED'],
    ['ServiceUnavailableException', 503, 'MODEL_UNAVAILABLE'],
    ['InternalServerException', 500, 'MODEL_UNAVAILABLE'],
    ['ModelTimeoutException', 408, 'MODEL_UNAVAILABLE'],
  ] as const)('makes %s a retryable failure (the job backs off and tries again)', async (name, status, code) => {
    // Prepare
    bedrock.script.push(serviceError(name, status));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess: one request — the client does not retry behind the job's own backoff
    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure).toMatchObject({ code });
    expect(bedrock.received).toHaveLength(1);
  });

  it.each([
    ['ValidationException', 400, 'MODEL_VALIDATION'],
    ['AccessDeniedException', 403, 'MODEL_ACCESS_DENIED'],
  ] as const)('makes %s a permanent failure naming the reason', async (name, status, code) => {
    // Prepare
    bedrock.script.push(serviceError(name, status));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(failure).toMatchObject({ code, message: expect.stringContaining(name) });
  });

  it('treats an unknown 5xx by status as retryable, and a connection that never answered too', async () => {
    // Prepare
    bedrock.script.push(serviceError('SomethingNew', 502), 'reset');

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
    bedrock.script.push(() => {
      controller.abort(reason);
      return 'hold';
    });

    // Act
    const failure = await model().generate(request, { signal: controller.signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBe(reason);
  });

  it('fails permanently when the reply has no text', async () => {
    // Prepare
    bedrock.script.push(converseResponse({ output: { message: { role: 'assistant', content: [] } } }));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'PermanentJobError', code: 'MODEL_EMPTY_REPLY' });
  });
});

describe('Class: BedrockTextModel — answers the SDK read leniently', () => {
  it('fails permanently (no text) on a 200 with an empty body, which the SDK read as a response without output', async () => {
    // Prepare
    bedrock.script.push({ status: 200, body: '', headers: { 'content-type': 'application/json' } });

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'PermanentJobError', code: 'MODEL_EMPTY_REPLY' });
  });
});
