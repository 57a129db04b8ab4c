import { GetQueueAttributesCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import { messageOf } from '../../functions/api/job-service.js';
import { SqsJobQueue } from '../../functions/adapters/aws/sqs-job-queue.js';
import type { SqsRecordLike } from '../../functions/worker/context.js';
import { JobWorker } from '../../functions/worker/job-worker.js';
import { ensureJobQueues, ensureSourceQueue, type ProvisionedQueue } from '../../local/provision.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';
import { RetryableJobError } from '../../shared/domain/errors.js';
import { priorityQueueName, queueKey } from '../../shared/jobs/priority.js';
import { jobRegistry } from '../../shared/jobs/registry.js';
import { silentLogger } from '../../shared/logging/logger.js';
import { invocation, queuedJob } from '../helpers/factories.js';
import { MemoryJobStore } from '../helpers/memory-job-store.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
const STAGE = 'lanes';

let server: SqsServer;
let client: SQSClient;
let normal: ProvisionedQueue;
let high: { url: string; arn: string };

beforeAll(async () => {
  server = await startSqsServer();
  client = createSqsClient({ region: 'us-east-1', endpoints: { sqs: server.endpoint }, credentials });
  normal = await ensureJobQueues(client, STAGE, jobRegistry.analysis);
  high = await ensureSourceQueue(client, priorityQueueName(STAGE, 'analysis', 'high'), jobRegistry.analysis, normal.dlqArn);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

/** Receives one message from a queue and shapes it as Lambda's SQS event source delivers it. */
async function deliver(queue: { url: string; arn: string }, waitTimeSeconds: number): Promise<SqsRecordLike | undefined> {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: waitTimeSeconds, MaxNumberOfMessages: 1, MessageSystemAttributeNames: ['All'] }),
  );
  const message: Message | undefined = Messages[0];
  if (!message) return undefined;
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body!,
    attributes: { ApproximateReceiveCount: message.Attributes?.ApproximateReceiveCount ?? '1', SentTimestamp: message.Attributes?.SentTimestamp ?? '0' },
    eventSourceARN: queue.arn,
  };
}

describe('Contract: a retry on a priority lane (one consumer reading several queues, as on AWS)', () => {
  it('rejects a receipt handle sent to another queue, as real SQS does (ReceiptHandleIsInvalid)', async () => {
    // Prepare
    const queue = new SqsJobQueue({ client, queueUrls: { analysis: normal.url, [queueKey('analysis', 'high')]: high.url } });
    const job = queuedJob({ payload: { ...queuedJob().payload as object, priority: 'high' } });
    await queue.send(messageOf(job));
    const record = await deliver(high, 2);

    // Act / Assess: the high lane's handle on the normal queue is refused by the server itself.
    await expect(queue.changeVisibility('analysis', record!.receiptHandle, 0)).rejects.toThrow(/ReceiptHandleIsInvalid/);
  });

  it('sets the backoff on the queue the message came from, so it comes back on its own lane', async () => {
    // Prepare: the consumer knows every lane of its type (as the CDK configures it on AWS).
    const queue = new SqsJobQueue({ client, queueUrls: { analysis: normal.url, [queueKey('analysis', 'high')]: high.url } });
    const store = new MemoryJobStore();
    const job = queuedJob({ maxAttempts: 3, payload: { ...queuedJob().payload as object, priority: 'high' } });
    await store.create(job);
    const worker = new JobWorker(jobRegistry.analysis, async () => {
      throw new RetryableJobError('upstream busy');
    }, { store, queue, logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0 });
    await queue.send(messageOf(job));
    const first = await deliver(high, 2);

    // Act: the attempt fails; with random() = 0 the full-jitter backoff is 0 s.
    const response = await worker.processBatch({ Records: [first!] }, invocation());
    // The high queue's visibility timeout is minutes long: only a successful ChangeMessageVisibility on
    // the high queue brings the message back within this wait.
    const again = await deliver(high, 5);

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: first!.messageId }]);
    expect((await store.get(job.jobId))?.status).toBe('RETRYING');
    expect(again?.messageId).toBe(first!.messageId);
    expect(again?.attributes.ApproximateReceiveCount).toBe('2');
    const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: high.url, AttributeNames: ['VisibilityTimeout'] }));
    expect(Number(Attributes?.VisibilityTimeout)).toBeGreaterThan(60);
  });

  it('derives the URL of an unconfigured queue from its ARN, in SQS’s standard form', () => {
    // Prepare
    const queue = new SqsJobQueue({ client, queueUrls: { analysis: normal.url } });

    // Act / Assess
    expect(queue.queueUrlOfArn('arn:aws:sqs:eu-west-1:123456789012:conveyor-prod-analysis-low')).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/conveyor-prod-analysis-low');
    expect(queue.queueUrlOfArn('arn:aws-cn:sqs:cn-north-1:123456789012:q')).toBe('https://sqs.cn-north-1.amazonaws.com.cn/123456789012/q');
    expect(() => queue.queueUrlOfArn('arn:aws:sns:eu-west-1:123456789012:topic')).toThrow(/not an SQS queue ARN/);
  });
});
