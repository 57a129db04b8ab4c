import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BedrockConverseClient } from '../../functions/adapters/aws/bedrock-converse-client.js';
import { BEDROCK_REQUEST_TIMEOUT_MS, BedrockTextModel, createBedrockClient } from '../../functions/adapters/aws/bedrock-text-model.js';
import { createTextModel } from '../../functions/roots/text-model.js';
import { parseConfig } from '../../shared/config/env.js';
import { PermanentJobError, RetryableJobError } from '../../shared/domain/errors.js';
import type { TraceAnnotations, Tracer } from '../../shared/ports/tracer.js';
import { startScriptedServer, type ScriptedServer } from '../helpers/scripted-server.js';
import { verifySigV4 } from '../helpers/sigv4-verifier.js';

/*
 * The Bedrock adapter through its Converse client (bedrock-converse-client.ts, as createBedrockClient
 * builds it) and Bedrock's REST-JSON protocol, against a local HTTP server answering as the Converse
 * API documents it (POST /model/{modelId}/converse; errors as status + `x-amzn-errortype` +
 * `{"message"}`): request serialisation and signing, response and error deserialisation, and the
 * one-try client (no retry behind the job's own). The SDK's BedrockRuntimeClient (a devDependency)
 * is the reference for what goes on the wire.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };
const SECRETS = { [CREDENTIALS.accessKeyId]: CREDENTIALS.secretAccessKey };
const MODEL_ID = 'amazon.nova-micro-v1:0';

let server: ScriptedServer;
const clients: { destroy(): void }[] = [];

beforeAll(async () => {
  server = await startScriptedServer();
});

afterEach(() => {
  server.reset();
});

afterAll(async () => {
  for (const client of clients) client.destroy();
  await server.close();
});

function model(options: { bearerToken?: string } = {}): BedrockTextModel {
  const client = createBedrockClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: CREDENTIALS, ...options });
  clients.push(client);
  return new BedrockTextModel({ client, modelId: MODEL_ID });
}

function answer(status: number, body: unknown, errorType?: string): { status: number; body: string; headers: Record<string, string> } {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': `${errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/` } : {}) } };
}

const REPLY = { output: { message: { role: 'assistant', content: [{ text: 'Hi there.' }] } }, stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 }, metrics: { latencyMs: 120 } };

const request = { system: 'Be brief.', messages: [{ role: 'user' as const, text: 'Hello' }], maxTokens: 64 };

describe('Class: BedrockTextModel over the wire (its Converse client, local Converse endpoint)', () => {
  it('posts a signed Converse request and reads the documented response', async () => {
    // Prepare
    server.script.push(answer(200, REPLY));

    // Act
    const reply = await model().generate(request, { signal: new AbortController().signal });

    // Assess
    expect(reply).toEqual({ text: 'Hi there.', stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 } });
    const [sent] = server.received;
    expect(server.received).toHaveLength(1);
    expect(decodeURIComponent(sent!.url)).toBe('/model/amazon.nova-micro-v1:0/converse');
    expect(JSON.parse(new TextDecoder().decode(sent!.body))).toEqual({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }], system: [{ text: 'Be brief.' }], inferenceConfig: { maxTokens: 64 } });
    expect(sent!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    expect(sent!.headers['x-amz-security-token']).toBe(CREDENTIALS.sessionToken);
    // Signed as Bedrock checks it: the path ('%3A' in the model id) encoded once more in the canonical request.
    expect(verifySigV4(sent!, SECRETS, { doubleEncodePath: true })).toEqual({ ok: true });
  });

  it('turns a 429 ThrottlingException into one retryable failure, without retrying inside the SDK', async () => {
    // Prepare
    server.script.push(answer(429, { message: 'Too many requests, please wait before trying again.' }, 'ThrottlingException'));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure).toMatchObject({ code: 'MODEL_THROTTLED', message: expect.stringContaining('Too many requests') });
    expect(server.received).toHaveLength(1);
  });

  it('turns a 400 ValidationException into a permanent failure with the service’s message', async () => {
    // Prepare
    server.script.push(answer(400, { message: 'The provided model identifier is invalid.' }, 'ValidationException'));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(failure).toMatchObject({ code: 'MODEL_VALIDATION', message: expect.stringContaining('model identifier is invalid') });
  });

  it('turns a 503 ServiceUnavailableException into a retryable failure', async () => {
    // Prepare
    server.script.push(answer(503, { message: 'Service unavailable' }, 'ServiceUnavailableException'));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'RetryableJobError', code: 'MODEL_UNAVAILABLE' });
  });

  it('fails permanently with the reason when a guardrail withheld the reply', async () => {
    // Prepare
    server.script.push(answer(200, { output: { message: { role: 'assistant', content: [{ text: 'Sorry, the model cannot answer this question.' }] } }, stopReason: 'guardrail_intervened', usage: { inputTokens: 9, outputTokens: 0, totalTokens: 9 }, metrics: { latencyMs: 80 } }));

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'PermanentJobError', code: 'CONTENT_FILTERED', message: expect.stringContaining('guardrail_intervened') });
  });
});

describe('Class: BedrockConverseClient against the SDK’s BedrockRuntimeClient on the wire', () => {
  /** The SDK client as a reference, over HTTP/1.1 to reach the same server (it speaks HTTP/2 by default). */
  function sdkClient(): BedrockRuntimeClient {
    const client = new BedrockRuntimeClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: CREDENTIALS, maxAttempts: 1, requestHandler: new NodeHttpHandler() });
    clients.push(client);
    return client;
  }
  const input = { messages: [{ role: 'user' as const, content: [{ text: 'Hello' }] }], system: [{ text: 'Be brief.' }], inferenceConfig: { maxTokens: 64, temperature: 0.5 } };

  it.each([
    [MODEL_ID],
    ['arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-haiku-20240307-v1:0'],
  ])('sends the SDK’s path and body for the same input, and both signatures verify: %s', async (modelId) => {
    // Prepare
    server.script.push(answer(200, REPLY), answer(200, REPLY));
    const light = new BedrockConverseClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: CREDENTIALS });
    clients.push(light);

    // Act
    const sdkReply = await sdkClient().send(new ConverseCommand({ modelId, ...input }));
    const lightReply = await light.converse({ modelId, ...input });

    // Assess
    const [bySdk, byLight] = server.received;
    expect(byLight!.url).toBe(bySdk!.url);
    expect(JSON.parse(new TextDecoder().decode(byLight!.body))).toEqual(JSON.parse(new TextDecoder().decode(bySdk!.body)));
    expect(byLight!.headers['content-type']).toBe(bySdk!.headers['content-type']);
    expect(verifySigV4(bySdk!, SECRETS, { doubleEncodePath: true })).toEqual({ ok: true });
    expect(verifySigV4(byLight!, SECRETS, { doubleEncodePath: true })).toEqual({ ok: true });
    expect({ output: lightReply.output, stopReason: lightReply.stopReason, usage: lightReply.usage }).toEqual({ output: sdkReply.output, stopReason: sdkReply.stopReason, usage: sdkReply.usage });
  });

  it('with a Bedrock API key, sends `Authorization: Bearer` and no signature, as the SDK does with AWS_BEARER_TOKEN_BEDROCK', async () => {
    // Prepare
    server.script.push(answer(200, REPLY), answer(200, REPLY));
    const saved = process.env.AWS_BEARER_TOKEN_BEDROCK;
    process.env.AWS_BEARER_TOKEN_BEDROCK = 'bedrock-api-key-ABSKexample';

    // Act
    try {
      await sdkClient().send(new ConverseCommand({ modelId: MODEL_ID, ...input }));
    } finally {
      if (saved === undefined) delete process.env.AWS_BEARER_TOKEN_BEDROCK;
      else process.env.AWS_BEARER_TOKEN_BEDROCK = saved;
    }
    const reply = await model({ bearerToken: 'bedrock-api-key-ABSKexample' }).generate(request, { signal: new AbortController().signal });

    // Assess
    const [bySdk, byLight] = server.received;
    expect(bySdk!.headers.authorization).toBe('Bearer bedrock-api-key-ABSKexample');
    expect(byLight!.headers.authorization).toBe('Bearer bedrock-api-key-ABSKexample');
    expect(byLight!.headers['x-amz-date']).toBeUndefined();
    expect(byLight!.headers['x-amz-security-token']).toBeUndefined();
    expect(reply.text).toBe('Hi there.');
  });

  it('the stage’s text model takes the API key from AWS_BEARER_TOKEN_BEDROCK in its config', async () => {
    // Prepare
    server.script.push(answer(200, REPLY));
    const config = parseConfig({ CONVEYOR_TABLE_NAME: 't', CONVEYOR_QUEUE_URLS: '{}', AWS_REGION: 'eu-west-1', CONVEYOR_AI_PROVIDER: 'bedrock', CONVEYOR_AI_MODEL_ID: MODEL_ID, AWS_ENDPOINT_URL_BEDROCK_RUNTIME: server.endpoint, AWS_BEARER_TOKEN_BEDROCK: 'bedrock-api-key-from-config' });

    // Act
    const reply = await createTextModel(config).generate(request, { signal: new AbortController().signal });

    // Assess
    expect(reply.text).toBe('Hi there.');
    expect(server.received[0]!.headers.authorization).toBe('Bearer bedrock-api-key-from-config');
    expect(server.received[0]!.url).toBe('/model/amazon.nova-micro-v1%3A0/converse');
  });

  it('fails a call Bedrock never answers once the connection stays silent for the timeout: retryable, the service unreached', async () => {
    // Prepare: the server takes the request and never answers
    server.script.push('hold');
    const client = new BedrockConverseClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: CREDENTIALS, retry: { maxAttempts: 1 }, socketTimeoutMs: 200 });
    clients.push(client);

    // Act
    const failure = await new BedrockTextModel({ client, modelId: MODEL_ID }).generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'RetryableJobError', code: 'MODEL_UNREACHABLE', message: expect.stringContaining('TimeoutError') });
    expect(server.received).toHaveLength(1);
    expect(BEDROCK_REQUEST_TIMEOUT_MS).toBe(60_000);
  });

  it('runs each call in a span named BedrockRuntime.Converse on the tracer it is given, failures included', async () => {
    // Prepare
    server.script.push(answer(200, REPLY), answer(429, { message: 'slow down' }, 'ThrottlingException'));
    const spans: { name: string; annotations: TraceAnnotations; outcome?: string }[] = [];
    const tracer: Tracer = {
      span: async (name, annotations, work) => {
        const span: { name: string; annotations: TraceAnnotations; outcome?: string } = { name, annotations };
        spans.push(span);
        try {
          const result = await work();
          span.outcome = 'ok';
          return result;
        } catch (error) {
          span.outcome = (error as Error).name;
          throw error;
        }
      },
    };
    const client = new BedrockConverseClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: CREDENTIALS, tracer, retry: { maxAttempts: 1 } });
    clients.push(client);

    // Act
    await client.converse({ modelId: MODEL_ID, ...input });
    await client.converse({ modelId: MODEL_ID, ...input }).catch(() => undefined);

    // Assess
    expect(spans).toEqual([
      { name: 'BedrockRuntime.Converse', annotations: {}, outcome: 'ok' },
      { name: 'BedrockRuntime.Converse', annotations: {}, outcome: 'ThrottlingException' },
    ]);
  });
});
