import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, createS3Client, createSesClient, createSqsClient } from '../../../functions/adapters/aws/clients.js';
import { S3BlobStore } from '../../../functions/adapters/aws/s3-blob-store.js';
import { startS3 } from '../../../local/s3.js';
import { startSes } from '../../../local/ses.js';
import { DynamoJobStore } from '../../../functions/adapters/aws/dynamo-job-store.js';
import { currentTracer, disableTracing, enableTracing, traced } from '../../../functions/adapters/aws/tracing.js';
import { startDynamo, type LocalService } from '../../../local/dynamodb.js';
import { ensureTable } from '../../../local/provision.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BedrockTextModel, createBedrockClient } from '../../../functions/adapters/aws/bedrock-text-model.js';
import { startScriptedServer } from '../../helpers/scripted-server.js';
import { newJobId } from '../../../shared/domain/job-id.js';
import { noTracer } from '../../../shared/ports/tracer.js';

/**
 * Powertools Tracer as it runs in a traced Lambda: the X-Ray SDK in Lambda mode (LAMBDA_TASK_ROOT,
 * the invocation's _X_AMZN_TRACE_ID), streaming closed subsegments to the daemon address — here a UDP
 * socket of the test's own, standing in for the X-Ray daemon Lambda runs.
 */
const TRACE_ID = '1-6750a1b2-0123456789abcdef01234567';
const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
  LAMBDA_TASK_ROOT: '/var/task',
  _X_AMZN_TRACE_ID: `Root=${TRACE_ID};Parent=53995c3f42cd8ad8;Sampled=1`,
  AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  AWS_XRAY_DEBUG_MODE: '',
};

let daemon: Socket;
const documents: Record<string, unknown>[] = [];
let dynamo: LocalService;
const saved: Record<string, string | undefined> = {};

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (packet) => {
    // "{"format":"json","version":1}\n{segment document}"
    const [, body] = packet.toString('utf8').split('\n');
    if (body) documents.push(JSON.parse(body) as Record<string, unknown>);
  });
  await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
  const env = { ...LAMBDA_ENV, AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}` };
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  dynamo = await startDynamo();
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await ensureTable(raw, 'traced-jobs');
  raw.destroy();
});

afterAll(async () => {
  disableTracing();
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await dynamo?.close();
  await new Promise<void>((resolve) => daemon?.close(() => resolve()));
});

async function documentsMatching(predicate: (d: Record<string, unknown>) => boolean, count: number): Promise<Record<string, unknown>[]> {
  for (let i = 0; i < 500 && documents.filter(predicate).length < count; i++) await new Promise((resolve) => setTimeout(resolve, 10));
  return documents.filter(predicate);
}

describe('Function: enableTracing', () => {
  it('off: loads nothing, leaves clients as they are, and the tracer port is the no-op', async () => {
    // Act
    await enableTracing({ CONVEYOR_TRACING: 'off', CONVEYOR_STAGE: 'test' });
    const client = createSqsClient({ region: 'us-east-1' });
    const stackSize = client.middlewareStack.identify().length;

    // Assess
    expect(currentTracer()).toBe(noTracer);
    expect(traced(createSqsClient({ region: 'us-east-1' })).middlewareStack.identify()).toHaveLength(stackSize);
  });

  it('on: each DynamoDB call is a subsegment of the span it runs in, which carries the correlation id', async () => {
    // Prepare
    await enableTracing({ CONVEYOR_TRACING: 'on', CONVEYOR_STAGE: 'test' });
    const store = new DynamoJobStore({ client: createDynamoClient({ region: 'us-east-1', endpoints: { dynamodb: dynamo.endpoint }, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }), tableName: 'traced-jobs' });
    const jobId = newJobId('tenant-a');

    // Act
    const found = await currentTracer().span('job', { jobId, correlationId: 'checkout-7f3a', attempt: 1 }, () => store.get(jobId));

    // Assess
    expect(found).toBeUndefined();
    const [job] = await documentsMatching((d) => d.name === 'job', 1);
    expect(job).toMatchObject({ trace_id: TRACE_ID, type: 'subsegment', annotations: { jobId, correlationId: 'checkout-7f3a', attempt: 1 } });
    const [call] = await documentsMatching((d) => d.name === 'DynamoDB', 1);
    expect(call).toMatchObject({ trace_id: TRACE_ID, parent_id: job!.id, namespace: 'aws', aws: { operation: 'GetItem', table_name: 'traced-jobs' } });
  });

  it('on: an S3 call (not an SDK client) is a subsegment of the span it runs in, through the Tracer port', async () => {
    // Prepare
    await enableTracing({ CONVEYOR_TRACING: 'on', CONVEYOR_STAGE: 'test' });
    const s3 = await startS3({ buckets: ['traced-docs'], credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const client = createS3Client({ region: 'us-east-1', endpoints: { s3: s3.endpoint }, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    const blobs = new S3BlobStore({ client, bucket: 'traced-docs' });

    // Act
    const found = await currentTracer().span('s3-job', {}, () => blobs.get('missing.json'));
    client.destroy();
    await s3.close();

    // Assess
    expect(found).toBeUndefined();
    const [job] = await documentsMatching((d) => d.name === 's3-job', 1);
    const [call] = await documentsMatching((d) => d.name === 'S3.GetObject', 1);
    expect(call).toMatchObject({ trace_id: TRACE_ID, parent_id: job!.id, type: 'subsegment' });
  });

  it('on: an SES send (not an SDK client) is a subsegment of the span it runs in, through the Tracer port', async () => {
    // Prepare
    await enableTracing({ CONVEYOR_TRACING: 'on', CONVEYOR_STAGE: 'test' });
    const ses = await startSes();
    const client = createSesClient({ region: 'us-east-1', endpoints: { sesv2: ses.endpoint }, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const mail = { FromEmailAddress: 'jobs@example.com', Destination: { ToAddresses: ['traced@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } } } };

    // Act
    const sent = await currentTracer().span('email-job', {}, () => client.sendEmail(mail));
    client.destroy();
    await ses.close();

    // Assess
    expect(sent.MessageId).toEqual(expect.any(String));
    const [job] = await documentsMatching((d) => d.name === 'email-job', 1);
    const [call] = await documentsMatching((d) => d.name === 'SES.SendEmail', 1);
    expect(call).toMatchObject({ trace_id: TRACE_ID, parent_id: job!.id, type: 'subsegment' });
  });

  it('on: the model client is captured too, so a Converse call is a subsegment of the job', async () => {
    // Prepare: a Converse endpoint answering as Bedrock does
    await enableTracing({ CONVEYOR_TRACING: 'on', CONVEYOR_STAGE: 'test' });
    const bedrock = await startScriptedServer({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ output: { message: { role: 'assistant', content: [{ text: 'Hi.' }] } }, stopReason: 'end_turn', usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 } }) });
    const client = createBedrockClient({ region: 'us-east-1', endpoint: bedrock.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const model = new BedrockTextModel({ client, modelId: 'amazon.nova-micro-v1:0' });

    // Act
    const reply = await currentTracer().span('ai-job', {}, () => model.generate({ messages: [{ role: 'user', text: 'Hello' }], maxTokens: 16 }, { signal: new AbortController().signal }));
    client.destroy();
    await bedrock.close();

    // Assess
    expect(reply.text).toBe('Hi.');
    const [job] = await documentsMatching((d) => d.name === 'ai-job', 1);
    const [call] = await documentsMatching((d) => d.name === 'BedrockRuntime.Converse', 1);
    expect(call).toMatchObject({ trace_id: TRACE_ID, parent_id: job!.id, type: 'subsegment' });
  });

  it('on: a failing span records the error and rethrows it', async () => {
    // Act
    const failure = currentTracer().span('webhook', { jobId: 'j-2' }, () => Promise.reject(new Error('receiver down')));

    // Assess
    await expect(failure).rejects.toThrow('receiver down');
    const [span] = await documentsMatching((d) => d.name === 'webhook', 1);
    expect(span).toMatchObject({ fault: true, cause: { exceptions: [expect.objectContaining({ message: 'receiver down' })] } });
  });
});
