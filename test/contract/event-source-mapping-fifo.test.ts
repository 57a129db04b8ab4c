import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import { SqsEventSourceMapping, type SqsBatchHandler } from '../../local/event-source-mapping.js';
import { ensureJobQueues, type ProvisionedQueue } from '../../local/provision.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';
import { defineJob } from '../../shared/jobs/define.js';
import { silentLogger } from '../../shared/logging/logger.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
const ledgerJob = defineJob({ type: 'ledger', description: 'FIFO test type', payload: z.object({}), settings: { ordering: 'fifo' } });

let server: SqsServer;
let client: SQSClient;

beforeAll(async () => {
  server = await startSqsServer();
  client = createSqsClient({ region: 'us-east-1', endpoints: { sqs: server.endpoint }, credentials });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

function mapping(queue: ProvisionedQueue, handler: SqsBatchHandler, overrides: { batchingWindowSeconds?: number } = {}): SqsEventSourceMapping {
  return new SqsEventSourceMapping({
    client,
    queueUrl: queue.url,
    queueArn: queue.arn,
    functionName: 'fifo-test',
    handler,
    batchSize: 10,
    batchingWindowSeconds: 0,
    maxConcurrency: 2,
    functionTimeoutSeconds: 5,
    logger: silentLogger,
    waitTimeSeconds: 1,
    ...overrides,
  });
}

async function send(queue: ProvisionedQueue, group: string, body: string): Promise<void> {
  await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `${group}-${body}` }));
}

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('Contract: the local SQS event source on a FIFO queue', () => {
  it('refuses a batching window, as Lambda does for FIFO sources', async () => {
    // Prepare
    const queue = await ensureJobQueues(client, 'esm-window', ledgerJob);

    // Act + Assess
    expect(() => mapping(queue, async () => undefined, { batchingWindowSeconds: 1 })).toThrow(/FIFO queue allows batches of at most 10 and no batching window/);
  });

  it('delivers each group in send order with the group, sequence number and deduplication id on every record', async () => {
    // Prepare
    const queue = await ensureJobQueues(client, 'esm-order', ledgerJob);
    for (const body of ['a1', 'a2', 'a3']) await send(queue, 'A', body);
    for (const body of ['b1', 'b2']) await send(queue, 'B', body);
    const seen: SQSRecord[] = [];
    const esm = mapping(queue, async (event: SQSEvent) => {
      seen.push(...event.Records);
      return { batchItemFailures: [] };
    });

    // Act
    esm.start();
    await until(() => seen.length === 5, 'five records');
    await esm.stop();

    // Assess
    const bodiesOf = (group: string) => seen.filter((r) => r.attributes.MessageGroupId === group).map((r) => r.body);
    expect(bodiesOf('A')).toEqual(['a1', 'a2', 'a3']);
    expect(bodiesOf('B')).toEqual(['b1', 'b2']);
    for (const record of seen) {
      expect(record.attributes.SequenceNumber).toMatch(/^\d{20}$/);
      expect(record.attributes.MessageDeduplicationId).toBe(`${record.attributes.MessageGroupId}-${record.body}`);
      expect(record.eventSourceARN).toBe(queue.arn);
    }
  });

  it('deletes what a response acknowledges, as Lambda does, and counts a record acknowledged after a failed one of its group', async () => {
    // Prepare: a response that fails a1 but acknowledges a2 behind it — what AWS asks functions not to do
    const queue = await ensureJobQueues(client, 'esm-breaks', ledgerJob);
    for (const body of ['a1', 'a2']) await send(queue, 'A', body);
    const esm = mapping(queue, async (event: SQSEvent) => ({
      batchItemFailures: event.Records.filter((r) => r.body === 'a1').map((r) => ({ itemIdentifier: r.messageId })),
    }));

    // Act
    esm.start();
    await until(() => esm.stats.invocations >= 1 && esm.stats.deleted >= 1, 'the first invocation');
    await esm.stop();
    const { Attributes = {} } = await client.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));

    // Assess: a2 is gone (the order lost), a1 waits in flight; the break is counted
    expect(esm.stats.fifoOrderBreaks).toBe(1);
    expect(Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)).toBe(1);
  });
});
