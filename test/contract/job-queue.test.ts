import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import { SqsJobQueue } from '../../functions/adapters/aws/sqs-job-queue.js';
import { ensureJobQueues, type ProvisionedQueue } from '../../local/provision.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';
import { ConfigurationError, DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { JobMessage } from '../../shared/domain/job.js';
import { defineJob } from '../../shared/jobs/define.js';
import { jobRegistry } from '../../shared/jobs/registry.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

let server: SqsServer;
let client: SQSClient;
let analysis: ProvisionedQueue;
let ledger: ProvisionedQueue;

/** A FIFO job type that exists only in this test. */
const ledgerJob = defineJob({ type: 'ledger', description: 'FIFO test type', payload: z.object({}), settings: { ordering: 'fifo' } });

beforeAll(async () => {
  server = await startSqsServer();
  client = createSqsClient({ region: 'us-east-1', endpoints: { sqs: server.endpoint }, credentials });
  analysis = await ensureJobQueues(client, 'contract', jobRegistry.analysis);
  ledger = await ensureJobQueues(client, 'contract', ledgerJob);
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

function message(): JobMessage {
  return {
    jobId: crypto.randomUUID(),
    type: 'analysis',
  };
}

async function receive(waitTimeSeconds = 0, visibilityTimeout?: number, queueUrl = analysis.url) {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MessageSystemAttributeNames: ['All'],
      WaitTimeSeconds: waitTimeSeconds,
      MaxNumberOfMessages: 10,
      ...(visibilityTimeout !== undefined ? { VisibilityTimeout: visibilityTimeout } : {}),
    }),
  );
  return Messages;
}

describe('Contract: JobQueue (SqsJobQueue against the local SQS server)', () => {
  const queue = () => new SqsJobQueue({ client, queueUrls: { analysis: analysis.url } });

  it('sends the job message as JSON to its type’s queue', async () => {
    // Prepare
    const sent = message();

    // Act
    await queue().send(sent);
    const [received, ...rest] = await receive(1);

    // Assess
    expect(rest).toHaveLength(0);
    expect(JSON.parse(received!.Body!)).toEqual(sent);
  });

  it('holds a delayed message back until its delay has passed', async () => {
    // Prepare
    const sent = message();

    // Act
    await queue().send(sent, { delaySeconds: 1 });
    const early = await receive(0);
    const later = await receive(3);

    // Assess
    expect(early).toHaveLength(0);
    expect(later.map((m) => JSON.parse(m.Body!).jobId)).toEqual([sent.jobId]);
  });

  it('changes a received message’s visibility: 0 makes it visible again at once', async () => {
    // Prepare
    const sent = message();
    await queue().send(sent);
    const [first] = await receive(1, 60);

    // Act
    await queue().changeVisibility('analysis', first!.ReceiptHandle!, 0);
    const [again] = await receive(1);

    // Assess
    expect(JSON.parse(again!.Body!).jobId).toBe(sent.jobId);
    expect(again!.MessageId).toBe(first!.MessageId);
  });

  it('hands a body to the type\'s DLQ, found by name from the queue URL as provisioning names it', async () => {
    // Prepare
    const body = JSON.stringify(message());

    // Act
    await queue().deadLetter('analysis', body);
    const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: analysis.dlqUrl, WaitTimeSeconds: 1 }));

    // Assess
    expect(queue().deadLetterQueueUrlOf('analysis')).toBe(analysis.dlqUrl);
    expect(Messages.map((m) => m.Body)).toEqual([body]);
  });

  it('refuses a job type with no queue as a configuration error (not a 503), before any request', async () => {
    // Act + Assess
    await expect(queue().send({ ...message(), type: 'pdf' })).rejects.toBeInstanceOf(ConfigurationError);
  });

  it('reports an unreachable queue service as DependencyUnavailableError', async () => {
    // Prepare: a client pointing at a port nothing listens on
    const closed = await startSqsServer();
    await closed.close();
    const offline = createSqsClient({ region: 'us-east-1', endpoints: { sqs: closed.endpoint }, credentials });
    const queueOffline = new SqsJobQueue({ client: offline, queueUrls: { analysis: analysis.url } });

    // Act + Assess
    await expect(queueOffline.send(message())).rejects.toBeInstanceOf(DependencyUnavailableError);
    offline.destroy();
  });

  it('sends a message\'s group as MessageGroupId, not in the body (a fair queue\'s tenant)', async () => {
    // Prepare
    const sent = { ...message(), group: 'g-fair' };

    // Act
    await queue().send(sent);
    await queue().sendBatch([{ message: { ...message(), group: 'g-fair' } }]);
    const received = await receive(1);

    // Assess
    expect(received.map((m) => m.Attributes?.MessageGroupId)).toEqual(['g-fair', 'g-fair']);
    expect(JSON.parse(received[0]!.Body!)).toEqual({ jobId: sent.jobId, type: 'analysis' });
  });

  describe('on a FIFO job type\'s queue', () => {
    const fifoQueue = () => new SqsJobQueue({ client, queueUrls: { ledger: ledger.url } });
    const ledgerMessage = (group: string, generation?: number): JobMessage => ({ jobId: crypto.randomUUID(), type: 'ledger', group, ...(generation ? { generation } : {}) });

    it('provisions a FIFO queue and a FIFO DLQ named with .fifo', () => {
      expect(ledger.url).toMatch(/conveyor-contract-ledger\.fifo$/);
      expect(ledger.dlqUrl).toMatch(/conveyor-contract-ledger-dlq\.fifo$/);
    });

    it('delivers a group in send order, deduplicating a repeated send of the same job and generation', async () => {
      // Prepare: three jobs of one group, the second sent twice (a retried send), and a new generation of the first
      const [a, b, c] = [ledgerMessage('g-1'), ledgerMessage('g-1'), ledgerMessage('g-1')];

      // Act
      await fifoQueue().send(a);
      await fifoQueue().send(b);
      await fifoQueue().send(b);
      await fifoQueue().sendBatch([{ message: c }, { message: { ...a, generation: 1 } }]);
      const received = await receive(1, 60, ledger.url);

      // Assess
      expect(received.map((m) => [JSON.parse(m.Body!).jobId, JSON.parse(m.Body!).generation ?? 0])).toEqual([[a.jobId, 0], [b.jobId, 0], [c.jobId, 0], [a.jobId, 1]]);
      expect(received.map((m) => m.Attributes?.MessageDeduplicationId)).toEqual([`${a.jobId}:0`, `${b.jobId}:0`, `${c.jobId}:0`, `${a.jobId}:1`]);
      expect(new Set(received.map((m) => m.Attributes?.MessageGroupId))).toEqual(new Set(['g-1']));
    });

    it('sends a bulk of one group in its order, across SendMessageBatch calls made one after another', async () => {
      // Prepare: 25 jobs of one group: three calls of up to 10. SQS orders a group by when each call is
      // received, so calls in flight side by side could land in any order: count them as they are made.
      const sent = Array.from({ length: 25 }, () => ledgerMessage('g-bulk'));
      const counted = createSqsClient({ region: 'us-east-1', endpoints: { sqs: server.endpoint }, credentials });
      let inFlight = 0;
      let mostInFlight = 0;
      counted.middlewareStack.add(
        (next) => async (args) => {
          mostInFlight = Math.max(mostInFlight, ++inFlight);
          try {
            return await next(args);
          } finally {
            inFlight -= 1;
          }
        },
        { step: 'initialize', name: 'countCallsInFlight' },
      );

      // Act: read the group back, deleting each batch so the group's next messages are delivered
      const failed = await new SqsJobQueue({ client: counted, queueUrls: { ledger: ledger.url } }).sendBatch(sent.map((message) => ({ message })));
      counted.destroy();
      const order: string[] = [];
      while (order.length < sent.length) {
        const batch = await receive(1, 60, ledger.url);
        if (batch.length === 0) break;
        order.push(...batch.map((m) => JSON.parse(m.Body!).jobId as string));
        await client.send(new DeleteMessageBatchCommand({ QueueUrl: ledger.url, Entries: batch.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }

      // Assess
      expect(failed.size).toBe(0);
      expect(mostInFlight).toBe(1);
      expect(order).toEqual(sent.map((m) => m.jobId));
    });

    it('hands a dead letter to the FIFO DLQ with its group, once per deduplication id', async () => {
      // Prepare
      const body = JSON.stringify({ jobId: crypto.randomUUID(), type: 'ledger' });

      // Act: the same hand-off twice (its acknowledgement was lost), then without what FIFO needs
      await fifoQueue().deadLetter('ledger', body, { group: 'g-dead', deduplicationId: 'm-1' });
      await fifoQueue().deadLetter('ledger', body, { group: 'g-dead', deduplicationId: 'm-1' });
      const missing = await fifoQueue().deadLetter('ledger', body, {}).then(() => undefined, (error: unknown) => error);
      const { Messages = [] } = await client.send(new ReceiveMessageCommand({ QueueUrl: ledger.dlqUrl, WaitTimeSeconds: 1, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }));

      // Assess
      expect(missing).toBeInstanceOf(DependencyUnavailableError);
      expect(Messages.map((m) => [m.Body, m.Attributes?.MessageGroupId])).toEqual([[body, 'g-dead']]);
    });
  });
});
