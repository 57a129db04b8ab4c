import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import { SqsJobQueue } from '../../functions/adapters/aws/sqs-job-queue.js';
import { ensureJobQueues, type ProvisionedQueue } from '../../local/provision.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';
import { ConfigurationError, DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { JobMessage } from '../../shared/domain/job.js';
import { jobRegistry } from '../../shared/jobs/registry.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

let server: SqsServer;
let client: SQSClient;
let analysis: ProvisionedQueue;

beforeAll(async () => {
  server = await startSqsServer();
  client = createSqsClient({ region: 'us-east-1', endpoints: { sqs: server.endpoint }, credentials });
  analysis = await ensureJobQueues(client, 'contract', jobRegistry.analysis);
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

async function receive(waitTimeSeconds = 0, visibilityTimeout?: number) {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({
      QueueUrl: analysis.url,
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
});
