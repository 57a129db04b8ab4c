import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConveyorConfig } from '../../shared/config/env.js';
import { lambdaEsbuildOptions } from '../../infra/bundling.js';
import { writeConsumerEntry } from '../../infra/consumer-entry.js';
import { emailJob } from '../../shared/jobs/email.js';
import type { BatchResponse, SqsEventLike } from '../../functions/worker/context.js';
import { createClients } from '../../functions/wiring.js';
import { templateData } from '../helpers/email-payloads.js';
import { messagesTo } from '../helpers/inbox.js';
import { serveHttpApi, type HttpApiHandler, type LocalHttpApi } from '../../local/api-gateway.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * The API function as the CDK deploys it: bundled with infra/bundling.ts (minified ESM, the SDK inside,
 * its credential chain reduced to the environment), imported like Lambda imports it, against a local
 * cloud's table and queues. The job it accepts is run by the local cloud's consumer.
 */
function environmentOf(config: ConveyorConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));
}

describe('E2E: the bundled API entry', () => {
  let cloud: ApiClient;
  let entryApi: LocalHttpApi | undefined;
  const out = mkdtempSync(join(tmpdir(), 'conveyor-bundled-entry-'));
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    cloud = await bootLocalCloud();
    const outfile = join(out, 'index.mjs');
    await build({ ...lambdaEsbuildOptions(fileURLToPath(new URL('../../functions/entry/api.ts', import.meta.url)), outfile), logLevel: 'silent' });
    // Lambda's environment: the function's variables and the role's credentials (any, locally).
    Object.assign(process.env, environmentOf(cloud.cloud.config), { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_SESSION_TOKEN: 'local', LOG_LEVEL: 'silent' });
    const { handler } = (await import(pathToFileURL(outfile).href)) as { handler: HttpApiHandler };
    entryApi = await serveHttpApi(handler);
    // Bundling the API takes seconds on an idle machine, far more on a busy one.
  }, 180_000);

  afterAll(async () => {
    await entryApi?.close();
    await cloud?.cloud.stop();
    process.env = savedEnv;
    rmSync(out, { recursive: true, force: true });
  });

  it('accepts a job with its bundled SDK clients, and the job runs', async () => {
    // Act
    const response = await fetch(`${entryApi!.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cloud.cloud.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'analysis', payload: analysisPayload() }),
    });
    const body = (await response.json()) as { jobId: string; status: string };

    // Assess
    expect(response.status).toBe(202);
    expect(body.status).toBe('QUEUED');
    expect(await cloud.waitForStatus(body.jobId, ['SUCCEEDED'], 30_000)).toMatchObject({ status: 'SUCCEEDED' });
  });
});

describe('E2E: a bundled consumer generated from the registry', () => {
  let cloud: ApiClient;
  const out = mkdtempSync(join(tmpdir(), 'conveyor-bundled-consumer-'));
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    cloud = await bootLocalCloud();
    // The local cloud's own email poller steps aside: the bundled consumer takes the message instead.
    await cloud.cloud.mappings.email.stop();
  });

  afterAll(async () => {
    await cloud?.cloud.stop();
    process.env = savedEnv;
    rmSync(out, { recursive: true, force: true });
  });

  it('runs an email job with the SES port of its `email` capability, as Lambda would invoke it', async () => {
    // Prepare: the generated entry, bundled, imported with the function's environment
    const outfile = join(out, 'worker-email.mjs');
    await build({ ...lambdaEsbuildOptions(writeConsumerEntry(emailJob), outfile), logLevel: 'silent' });
    Object.assign(process.env, environmentOf(cloud.cloud.config), { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_SESSION_TOKEN: 'local', LOG_LEVEL: 'silent' });
    const { handler } = (await import(pathToFileURL(outfile).href)) as { handler: (event: SqsEventLike, context: { getRemainingTimeInMillis(): number }) => Promise<BatchResponse> };
    const to = 'bundled-consumer@example.com';
    const accepted = await cloud.request('POST', '/v1/jobs', { body: { type: 'email', payload: { template: 'welcome', to: [to], data: templateData('welcome') } } });
    const { sqs } = createClients(cloud.cloud.config);
    const queueUrl = cloud.cloud.queues.email.url;
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'] }));
    const message = received.Messages![0]!;

    // Act
    const response = await handler(
      { Records: [{ messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: message.Body!, attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) }, eventSourceARN: cloud.cloud.queues.email.arn }] },
      { getRemainingTimeInMillis: () => 30_000 },
    );

    // Assess
    expect(accepted.status).toBe(202);
    expect(response.batchItemFailures).toEqual([]);
    expect(await cloud.waitForStatus(accepted.body.jobId, ['SUCCEEDED'])).toMatchObject({ status: 'SUCCEEDED', result: { template: 'welcome', recipients: 1 } });
    expect(await messagesTo(cloud.cloud.inbox.storeUrl, to)).toHaveLength(1);
  });

  it('traced, runs each invocation in its log scope and records the job as an X-Ray span around its AWS calls', async () => {
    // Prepare: a stand-in X-Ray daemon (UDP) and Lambda's tracing environment, as in a traced stage
    const daemon: Socket = createSocket('udp4');
    const documents: Record<string, unknown>[] = [];
    daemon.on('message', (packet) => {
      const [, body] = packet.toString('utf8').split('\n');
      if (body) documents.push(JSON.parse(body) as Record<string, unknown>);
    });
    await new Promise<void>((resolve) => daemon.bind(0, '127.0.0.1', resolve));
    const traceId = '1-6750a1b2-fedcba9876543210fedcba98';
    const outfile = join(out, 'worker-email-traced.mjs');
    await build({ ...lambdaEsbuildOptions(writeConsumerEntry(emailJob), outfile, { tracing: true }), logLevel: 'silent' });
    Object.assign(process.env, environmentOf(cloud.cloud.config), {
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      LOG_LEVEL: 'info',
      CONVEYOR_TRACING: 'on',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: '/var/task',
      _X_AMZN_TRACE_ID: `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`,
      AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
    });
    // What the function prints is what CloudWatch Logs would hold.
    const printed: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).startsWith('{')) {
        printed.push(String(chunk));
        return true;
      }
      return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
    });
    try {
      const { handler } = (await import(pathToFileURL(outfile).href)) as {
        handler: (event: SqsEventLike, context: { awsRequestId: string; functionName: string; getRemainingTimeInMillis(): number }) => Promise<BatchResponse>;
      };
      const to = 'traced-consumer@example.com';
      const accepted = await cloud.request('POST', '/v1/jobs', { body: { type: 'email', payload: { template: 'welcome', to: [to], data: templateData('welcome') } }, headers: { 'x-correlation-id': 'traced-7f3a' } });
      const { sqs } = createClients(cloud.cloud.config);
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: cloud.cloud.queues.email.url, WaitTimeSeconds: 5, MaxNumberOfMessages: 1, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp'] }),
      );
      const message = received.Messages![0]!;
      const attributes = Object.fromEntries(Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { stringValue: value.StringValue!, dataType: value.DataType! }]));

      // Act
      const response = await handler(
        {
          Records: [
            { messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: message.Body!, messageAttributes: attributes, attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()) }, eventSourceARN: cloud.cloud.queues.email.arn },
          ],
        },
        { awsRequestId: 'req-traced-1', functionName: 'conveyor-local-worker-email', getRemainingTimeInMillis: () => 30_000 },
      );

      // Assess: every line of the job carries the invocation's Lambda fields and the enqueue's correlation id
      expect(response.batchItemFailures).toEqual([]);
      const jobId = accepted.body.jobId as string;
      const lines = printed.map((line) => JSON.parse(line) as Record<string, unknown>).filter((line) => line.jobId === jobId);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) {
        expect(line).toMatchObject({ function_request_id: 'req-traced-1', function_name: 'conveyor-local-worker-email', cold_start: true, correlationId: 'traced-7f3a', type: 'email', attempt: 1 });
      }
      // the job is a span of the invocation's trace, and its AWS calls are subsegments under it (SES through the Tracer port: ses-email-client.ts)
      for (let i = 0; i < 500 && !(documents.some((d) => d.name === 'job') && documents.some((d) => d.name === 'SES.SendEmail')); i++) await new Promise((resolve) => setTimeout(resolve, 10));
      const job = documents.find((d) => d.name === 'job');
      expect(job).toMatchObject({ trace_id: traceId, annotations: { jobId, correlationId: 'traced-7f3a', type: 'email' } });
      expect(documents.filter((d) => d.parent_id === job!.id).map((d) => d.name)).toEqual(expect.arrayContaining(['DynamoDB', 'SES.SendEmail']));
    } finally {
      spy.mockRestore();
      for (const key of ['CONVEYOR_TRACING', 'AWS_EXECUTION_ENV', 'LAMBDA_TASK_ROOT', '_X_AMZN_TRACE_ID', 'AWS_XRAY_CONTEXT_MISSING', 'AWS_XRAY_DAEMON_ADDRESS']) delete process.env[key];
      await new Promise<void>((resolve) => daemon.close(() => resolve()));
    }
  });
});
