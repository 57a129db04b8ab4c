import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import { SqsJobQueue } from '../../functions/adapters/aws/sqs-job-queue.js';
import { SqsEventSourceMapping } from '../../local/event-source-mapping.js';
import { ensureJobQueues, type ProvisionedQueue } from '../../local/provision.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';
import { jobRegistry } from '../../shared/jobs/registry.js';
import { silentLogger } from '../../shared/logging/logger.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

let server: SqsServer;
let client: SQSClient;
let queue: ProvisionedQueue;

beforeAll(async () => {
  server = await startSqsServer();
  client = createSqsClient({ region: 'us-east-1', endpoints: { sqs: server.endpoint }, credentials });
  queue = await ensureJobQueues(client, 'esm', jobRegistry.analysis);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

describe('Class: SqsEventSourceMapping', () => {
  it('hands the handler Lambda\'s SQS event shape: message attributes with stringValue/dataType, and a Lambda context with a request id', async () => {
    // Prepare: a job message sent through the real adapter, with its correlation id
    const invocations: { event: SQSEvent; context: Context }[] = [];
    let delivered!: () => void;
    const seen = new Promise<void>((resolve) => (delivered = resolve));
    const mapping = new SqsEventSourceMapping({
      client,
      queueUrl: queue.url,
      queueArn: queue.arn,
      functionName: 'conveyor-esm-analysis-worker',
      handler: async (event, context) => {
        invocations.push({ event, context });
        delivered();
        return { batchItemFailures: [] };
      },
      batchSize: 1,
      batchingWindowSeconds: 0,
      maxConcurrency: 1,
      functionTimeoutSeconds: 5,
      logger: silentLogger,
      waitTimeSeconds: 1,
    });
    await new SqsJobQueue({ client, queueUrls: { analysis: queue.url } }).send({ jobId: 'j-1', type: 'analysis', correlationId: 'Jv8i_jAPoAMEJHw=' });

    // Act
    mapping.start();
    await seen;
    await mapping.stop();

    // Assess
    const [{ event, context }] = invocations as [(typeof invocations)[number]];
    const [record] = event.Records;
    expect(record!.messageAttributes).toEqual({ correlationId: { stringValue: 'Jv8i_jAPoAMEJHw=', stringListValues: [], binaryListValues: [], dataType: 'String' } });
    expect(record!.md5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.parse(record!.body)).toEqual({ jobId: 'j-1', type: 'analysis' });
    expect(record).toMatchObject({ eventSource: 'aws:sqs', eventSourceARN: queue.arn, attributes: { ApproximateReceiveCount: '1' } });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context).toMatchObject({ functionName: 'conveyor-esm-analysis-worker', invokedFunctionArn: expect.stringContaining(':function:conveyor-esm-analysis-worker') });
  });
});
