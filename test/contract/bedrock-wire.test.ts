import { createServer, type Http2Server, type Http2ServerRequest, type Http2Session } from 'node:http2';
import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BedrockTextModel, createBedrockClient } from '../../functions/adapters/aws/bedrock-text-model.js';
import { PermanentJobError, RetryableJobError } from '../../shared/domain/errors.js';

/*
 * The Bedrock adapter through the real SDK client and its REST-JSON protocol, against a local HTTP
 * server answering as the Converse API documents it (POST /model/{modelId}/converse; errors as
 * status + `x-amzn-errortype` + `{"message"}`): request serialisation, response and error
 * deserialisation, and the one-try client (no SDK retry behind the job's own).
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly errorType?: string;
}

// The Bedrock Runtime client speaks HTTP/2 (NodeHttp2Handler), so the stand-in does too (cleartext).
let server: Http2Server;
let endpoint: string;
const sessions = new Set<Http2Session>();
const clients: BedrockRuntimeClient[] = [];
const requests: { path: string; body: Record<string, unknown>; authorization: string | undefined }[] = [];
const answers: Answer[] = [];

async function readBody(request: Http2ServerRequest): Promise<string> {
  let text = '';
  for await (const chunk of request) text += String(chunk);
  return text;
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  server = createServer((request, response) => {
    void readBody(request).then((text) => {
      requests.push({ path: decodeURIComponent(request.url ?? ''), body: JSON.parse(text || '{}') as Record<string, unknown>, authorization: request.headers.authorization });
      const answer = answers.shift() ?? { status: 500, body: { message: 'no answer queued' }, errorType: 'InternalServerException' };
      response.writeHead(answer.status, { 'content-type': 'application/json', ...(answer.errorType ? { 'x-amzn-errortype': `${answer.errorType}:http://internal.amazon.com/coral/com.amazon.bedrock/` } : {}) });
      response.end(JSON.stringify(answer.body));
    });
  });
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  // HTTP/2 sessions outlive requests: end the clients' and the server's before closing.
  for (const client of clients) client.destroy();
  for (const session of sessions) session.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

function model(): BedrockTextModel {
  const client = createBedrockClient({ region: 'us-east-1', endpoint });
  clients.push(client);
  return new BedrockTextModel({ client, modelId: 'amazon.nova-micro-v1:0' });
}

const request = { system: 'Be brief.', messages: [{ role: 'user' as const, text: 'Hello' }], maxTokens: 64 };

describe('Class: BedrockTextModel over the wire (real SDK client, local Converse endpoint)', () => {
  it('posts a signed Converse request and reads the documented response', async () => {
    // Prepare
    requests.length = 0;
    answers.push({
      status: 200,
      body: { output: { message: { role: 'assistant', content: [{ text: 'Hi there.' }] } }, stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 }, metrics: { latencyMs: 120 } },
    });

    // Act
    const reply = await model().generate(request, { signal: new AbortController().signal });

    // Assess
    expect(reply).toEqual({ text: 'Hi there.', stopReason: 'end_turn', usage: { inputTokens: 9, outputTokens: 3, totalTokens: 12 } });
    expect(requests).toHaveLength(1);
    expect(requests[0]!.path).toBe('/model/amazon.nova-micro-v1:0/converse');
    expect(requests[0]!.body).toEqual({ messages: [{ role: 'user', content: [{ text: 'Hello' }] }], system: [{ text: 'Be brief.' }], inferenceConfig: { maxTokens: 64 } });
    expect(requests[0]!.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=\w+\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
  });

  it('turns a 429 ThrottlingException into one retryable failure, without retrying inside the SDK', async () => {
    // Prepare
    requests.length = 0;
    answers.push({ status: 429, errorType: 'ThrottlingException', body: { message: 'Too many requests, please wait before trying again.' } });

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(RetryableJobError);
    expect(failure).toMatchObject({ code: 'MODEL_THROTTLED', message: expect.stringContaining('Too many requests') });
    expect(requests).toHaveLength(1);
  });

  it('turns a 400 ValidationException into a permanent failure with the service’s message', async () => {
    // Prepare
    answers.push({ status: 400, errorType: 'ValidationException', body: { message: 'The provided model identifier is invalid.' } });

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(PermanentJobError);
    expect(failure).toMatchObject({ code: 'MODEL_VALIDATION', message: expect.stringContaining('model identifier is invalid') });
  });

  it('turns a 503 ServiceUnavailableException into a retryable failure', async () => {
    // Prepare
    answers.push({ status: 503, errorType: 'ServiceUnavailableException', body: { message: 'Service unavailable' } });

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'RetryableJobError', code: 'MODEL_UNAVAILABLE' });
  });

  it('fails permanently with the reason when a guardrail withheld the reply', async () => {
    // Prepare
    answers.push({ status: 200, body: { output: { message: { role: 'assistant', content: [{ text: 'Sorry, the model cannot answer this question.' }] } }, stopReason: 'guardrail_intervened', usage: { inputTokens: 9, outputTokens: 0, totalTokens: 9 }, metrics: { latencyMs: 80 } } });

    // Act
    const failure = await model().generate(request, { signal: new AbortController().signal }).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ name: 'PermanentJobError', code: 'CONTENT_FILTERED', message: expect.stringContaining('guardrail_intervened') });
  });
});
