import {
  AddPermissionCommand,
  CancelMessageMoveTaskCommand,
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListDeadLetterSourceQueuesCommand,
  ListMessageMoveTasksCommand,
  ListQueueTagsCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TagQueueCommand,
  UntagQueueCommand,
  type Message,
  type QueueAttributeName,
  type ReceiveMessageCommandInput,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';

/**
 * Conformance suite for the local SQS server, driven by the real @aws-sdk/client-sqs. Each test states
 * the AWS behaviour it pins down; the retry/backoff/DLQ semantics of Conveyor rest on these.
 */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const silentLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

function clientFor(server: SqsServer, options: { endpoint?: boolean } = {}): SQSClient {
  return new SQSClient({
    region: 'us-east-1',
    credentials,
    ...(options.endpoint === false ? { logger: silentLogger } : { endpoint: server.endpoint }),
  });
}

/** Settles a call that should fail, so a failing assertion before it cannot leave a rejection unhandled. */
function failureOf(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => new Error('expected the call to fail'),
    (error: unknown) => error,
  );
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

let server: SqsServer;
let sqs: SQSClient;
let queueCounter = 0;

interface TestQueue {
  readonly name: string;
  readonly url: string;
  readonly arn: string;
}

async function createQueue(attributes: Record<string, string> = {}, client: SQSClient = sqs): Promise<TestQueue> {
  const name = `conformance-${++queueCounter}`;
  const { QueueUrl } = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  const url = QueueUrl ?? '';
  return { name, url, arn: await arnOf(url, client) };
}

async function arnOf(url: string, client: SQSClient = sqs): Promise<string> {
  const { Attributes } = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  return Attributes?.['QueueArn'] ?? '';
}

async function countsOf(url: string, client: SQSClient = sqs): Promise<{ visible: number; inFlight: number; delayed: number }> {
  const { Attributes = {} } = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'],
    }),
  );
  return {
    visible: Number(Attributes['ApproximateNumberOfMessages']),
    inFlight: Number(Attributes['ApproximateNumberOfMessagesNotVisible']),
    delayed: Number(Attributes['ApproximateNumberOfMessagesDelayed']),
  };
}

async function receive(url: string, input: Omit<ReceiveMessageCommandInput, 'QueueUrl'> = {}, client: SQSClient = sqs): Promise<Message[]> {
  const { Messages = [] } = await client.send(
    new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'], ...input }),
  );
  return Messages;
}

async function receiveOne(url: string, input: Omit<ReceiveMessageCommandInput, 'QueueUrl'> = {}): Promise<Message> {
  const [message] = await receive(url, input);
  if (!message) throw new Error('expected a message');
  return message;
}

function receiveCountOf(message: Message): number {
  return Number(message.Attributes?.ApproximateReceiveCount);
}

async function send(url: string, body: string, delaySeconds?: number): Promise<string> {
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, DelaySeconds: delaySeconds }));
  return MessageId ?? '';
}

beforeAll(async () => {
  server = await startSqsServer();
  sqs = clientFor(server);
});

afterAll(async () => {
  sqs.destroy();
  await server.close();
});

describe('Local SQS server: queues', () => {
  it('creates a queue with the AWS URL and ARN layout and finds it by name', async () => {
    // Prepare
    const name = `conformance-layout-${++queueCounter}`;

    // Act
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const byName = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));

    // Assess
    expect(QueueUrl).toBe(`${server.endpoint}/000000000000/${name}`);
    expect(byName.QueueUrl).toBe(QueueUrl);
    expect(await arnOf(QueueUrl ?? '')).toBe(`arn:aws:sqs:us-east-1:000000000000:${name}`);
  });

  it('is idempotent for equal attributes and raises QueueNameExists for different ones', async () => {
    // Prepare
    const name = `conformance-idempotent-${++queueCounter}`;
    const first = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));

    // Act
    const again = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '45' } }));
    const conflicting = failureOf(sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { VisibilityTimeout: '46' } })));

    // Assess
    expect(again.QueueUrl).toBe(first.QueueUrl);
    expect(await conflicting).toMatchObject({ name: 'QueueNameExists' });
  });

  it('lists queues by prefix, paging with MaxResults and NextToken', async () => {
    // Prepare
    const prefix = `listing-${++queueCounter}-`;
    for (const suffix of ['a', 'b', 'c']) await sqs.send(new CreateQueueCommand({ QueueName: `${prefix}${suffix}` }));

    // Act
    const all = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix }));
    const firstPage = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2 }));
    const secondPage = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: prefix, MaxResults: 2, NextToken: firstPage.NextToken }));

    // Assess
    expect(all.QueueUrls?.map((url) => url.split('/').at(-1))).toEqual([`${prefix}a`, `${prefix}b`, `${prefix}c`]);
    expect(firstPage.QueueUrls).toHaveLength(2);
    expect(secondPage.QueueUrls?.map((url) => url.split('/').at(-1))).toEqual([`${prefix}c`]);
    expect(secondPage.NextToken).toBeUndefined();
  });

  it('raises QueueDoesNotExist (by SDK error name) for deleted and unknown queues', async () => {
    // Prepare
    const queue = await createQueue();
    await sqs.send(new DeleteQueueCommand({ QueueUrl: queue.url }));

    // Act
    const send = failureOf(sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x' })));
    const lookup = failureOf(sqs.send(new GetQueueUrlCommand({ QueueName: 'never-created' })));

    // Assess
    expect(await send).toMatchObject({ name: 'QueueDoesNotExist', $metadata: { httpStatusCode: 400 } });
    expect(await lookup).toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it('reports defaults with All, applies SetQueueAttributes and validates names and values', async () => {
    // Prepare
    const queue = await createQueue();

    // Act
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { VisibilityTimeout: '5', DelaySeconds: '2' } }));
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
    const badValue = failureOf(sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { VisibilityTimeout: '43201' } })));
    const badName = failureOf(sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['Nope' as QueueAttributeName] })));

    // Assess
    expect(Attributes).toMatchObject({
      QueueArn: queue.arn,
      VisibilityTimeout: '5',
      DelaySeconds: '2',
      MessageRetentionPeriod: '345600',
      MaximumMessageSize: '1048576',
      ReceiveMessageWaitTimeSeconds: '0',
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
      ApproximateNumberOfMessagesDelayed: '0',
    });
    expect(Number(Attributes['CreatedTimestamp'])).toBeGreaterThan(1_600_000_000);
    expect(await badValue).toMatchObject({ name: 'InvalidAttributeValue' });
    expect(await badName).toMatchObject({ name: 'InvalidAttributeName' });
  });

  it('rejects FIFO queues clearly instead of behaving like a standard queue', async () => {
    // Act
    const fifo = failureOf(sqs.send(new CreateQueueCommand({ QueueName: 'orders.fifo', Attributes: { FifoQueue: 'true' } })));
    const suffixOnly = failureOf(sqs.send(new CreateQueueCommand({ QueueName: 'orders.fifo' })));

    // Assess
    expect(await fifo).toMatchObject({ name: 'UnsupportedOperation' });
    expect(await suffixOnly).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('tags and untags queues', async () => {
    // Prepare
    const queue = await createQueue();

    // Act
    await sqs.send(new TagQueueCommand({ QueueUrl: queue.url, Tags: { team: 'conveyor', stage: 'local' } }));
    await sqs.send(new UntagQueueCommand({ QueueUrl: queue.url, TagKeys: ['stage'] }));
    const { Tags } = await sqs.send(new ListQueueTagsCommand({ QueueUrl: queue.url }));

    // Assess
    expect(Tags).toEqual({ team: 'conveyor' });
  });
});

describe('Local SQS server: sending and receiving', () => {
  it('returns body and attribute digests exactly as AWS computes them', async () => {
    // Prepare: the vectors are published with the aws-md5-of-message-attributes package.
    const queue = await createQueue();
    const MessageAttributes = {
      attribName1: { DataType: 'String', StringValue: 'attribValue 1' },
      customNumberTypeAttrib: { DataType: 'Number.float', StringValue: '4563442423554324324264524243.32543234' },
      binaryAttribute: { DataType: 'Binary', BinaryValue: new TextEncoder().encode('Hello binary world!') },
    };

    // Act
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'hello', MessageAttributes }));
    const [received] = await receive(queue.url, { MessageAttributeNames: ['attribName1'], VisibilityTimeout: 0 });
    const [receivedAll] = await receive(queue.url);

    // Assess
    expect(sent.MD5OfMessageBody).toBe('5d41402abc4b2a76b9719d911017c592');
    expect(sent.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(received?.MD5OfBody).toBe('5d41402abc4b2a76b9719d911017c592');
    // A filtered receive digests what it returns.
    expect(received?.MessageAttributes).toEqual({ attribName1: { DataType: 'String', StringValue: 'attribValue 1' } });
    expect(received?.MD5OfMessageAttributes).toBe('19e27d4e946b072f3f58da80d94fd778');
    expect(receivedAll?.MD5OfMessageAttributes).toBe('c932db14a896c663f83c260297d594ff');
    expect(new TextDecoder().decode(receivedAll?.MessageAttributes?.['binaryAttribute']?.BinaryValue)).toBe('Hello binary world!');
  });

  it('reports the message system attributes', async () => {
    // Prepare
    const queue = await createQueue();
    const before = Date.now();
    const messageId = await send(queue.url, 'attributes');

    // Act
    const message = await receiveOne(queue.url);

    // Assess
    expect(message.MessageId).toBe(messageId);
    expect(message.Attributes).toMatchObject({ ApproximateReceiveCount: '1', SenderId: '000000000000' });
    expect(Number(message.Attributes?.SentTimestamp)).toBeGreaterThanOrEqual(before);
    expect(Number(message.Attributes?.ApproximateFirstReceiveTimestamp)).toBeGreaterThanOrEqual(Number(message.Attributes?.SentTimestamp));
  });

  it('sends batches with per-entry results', async () => {
    // Prepare
    const queue = await createQueue();

    // Act
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'ok-1', MessageBody: 'one' },
          { Id: 'bad-delay', MessageBody: 'two', DelaySeconds: 901 },
          { Id: 'ok-2', MessageBody: 'three' },
        ],
      }),
    );
    const messages = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(result.Successful?.map((entry) => entry.Id)).toEqual(['ok-1', 'ok-2']);
    expect(result.Failed).toEqual([expect.objectContaining({ Id: 'bad-delay', Code: 'InvalidParameterValue', SenderFault: true })]);
    expect(messages.map((message) => message.Body).sort()).toEqual(['one', 'three']);
  });

  it('rejects malformed batches with the AWS error names', async () => {
    // Prepare
    const queue = await createQueue();
    const eleven = Array.from({ length: 11 }, (_, index) => ({ Id: `m${index}`, MessageBody: 'x' }));

    // Act
    const empty = failureOf(sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [] })));
    const tooMany = failureOf(sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: eleven })));
    const repeated = failureOf(sqs.send(new SendMessageBatchCommand({ QueueUrl: queue.url, Entries: [{ Id: 'a', MessageBody: 'x' }, { Id: 'a', MessageBody: 'y' }] })));
    const badId = failureOf(sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queue.url, Entries: [{ Id: 'not ok!', ReceiptHandle: 'x' }] })));
    const tooLong = failureOf(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: [
            { Id: 'a', MessageBody: 'x'.repeat(600_000) },
            { Id: 'b', MessageBody: 'y'.repeat(600_000) },
          ],
        }),
      ),
    );

    // Assess
    expect(await empty).toMatchObject({ name: 'EmptyBatchRequest' });
    expect(await tooMany).toMatchObject({ name: 'TooManyEntriesInBatchRequest' });
    expect(await repeated).toMatchObject({ name: 'BatchEntryIdsNotDistinct' });
    expect(await badId).toMatchObject({ name: 'InvalidBatchEntryId' });
    expect(await tooLong).toMatchObject({ name: 'BatchRequestTooLong' });
  });

  it('validates message bodies and receive parameters', async () => {
    // Prepare
    const queue = await createQueue({ MaximumMessageSize: '1024' });

    // Act
    const control = failureOf(sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'bell \u0007' })));
    const tooBig = failureOf(sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x'.repeat(1025) })));
    const tooMany = failureOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: 11 })));
    const tooLong = failureOf(sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 21 })));

    // Assess
    expect(await control).toMatchObject({ name: 'InvalidMessageContents' });
    expect(await tooBig).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await tooMany).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await tooLong).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('counts visible, in-flight and delayed messages separately', async () => {
    // Prepare
    const queue = await createQueue();
    for (const body of ['a', 'b', 'c']) await send(queue.url, body);
    await send(queue.url, 'later', 60);

    // Act
    await receiveOne(queue.url);
    const counts = await countsOf(queue.url);

    // Assess
    expect(counts).toEqual({ visible: 2, inFlight: 1, delayed: 1 });
  });

  it('keeps delayed messages invisible until due, per message and per queue', async () => {
    // Prepare
    const queue = await createQueue({ DelaySeconds: '1' });
    await send(queue.url, 'queue-delay');
    await send(queue.url, 'message-delay', 1);
    await send(queue.url, 'no-delay', 0);

    // Act
    const early = await receive(queue.url, { MaxNumberOfMessages: 10 });
    const earlyCounts = await countsOf(queue.url);
    await sleep(1_100);
    const late = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(early.map((message) => message.Body)).toEqual(['no-delay']);
    expect(earlyCounts).toEqual({ visible: 0, inFlight: 1, delayed: 2 });
    expect(late.map((message) => message.Body).sort()).toEqual(['message-delay', 'queue-delay']);
  });

  it('serves a client that routes requests by the QueueUrl host', async () => {
    // Prepare: no endpoint on this client; the SDK sends queue calls to the QueueUrl's origin.
    const queue = await createQueue();
    const byQueueUrl = clientFor(server, { endpoint: false });

    // Act
    await byQueueUrl.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'routed' }));
    const message = await receiveOne(queue.url);
    byQueueUrl.destroy();

    // Assess
    expect(message.Body).toBe('routed');
  });
});

describe('Local SQS server: visibility', () => {
  it('hides a received message until its visibility timeout ends, then delivers it again', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await send(queue.url, 'job');
    const first = await receiveOne(queue.url);

    // Act
    const whileInFlight = await receive(queue.url);
    await sleep(1_100);
    const again = await receiveOne(queue.url);

    // Assess
    expect(whileInFlight).toEqual([]);
    expect(again.MessageId).toBe(first.MessageId);
    expect(again.ReceiptHandle).not.toBe(first.ReceiptHandle);
    expect(receiveCountOf(again)).toBe(2);
  });

  it('counts receives only: ChangeMessageVisibility never adds to ApproximateReceiveCount', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'backoff');
    const first = await receiveOne(queue.url);

    // Act
    for (const seconds of [10, 20, 5]) {
      await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: seconds }));
    }
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
    const second = await receiveOne(queue.url);

    // Assess
    expect(receiveCountOf(first)).toBe(1);
    expect(receiveCountOf(second)).toBe(2);
  });

  it('makes a message visible at once with VisibilityTimeout 0, on receive and on change', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'zero');

    // Act
    const first = await receiveOne(queue.url, { VisibilityTimeout: 0 });
    const second = await receiveOne(queue.url);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 0 }));
    const third = await receiveOne(queue.url);

    // Assess
    expect([first, second, third].map(receiveCountOf)).toEqual([1, 2, 3]);
  });

  it('counts a changed visibility timeout from the time of the change', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await send(queue.url, 'extend');
    const first = await receiveOne(queue.url);
    await sleep(600);

    // Act: at 0.6 s ask for 1 more second, so the message returns at ~1.6 s, not 1 s.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 1 }));
    await sleep(600);
    const atOnePointTwo = await receive(queue.url);
    await sleep(600);
    const atOnePointEight = await receive(queue.url);

    // Assess
    expect(atOnePointTwo).toEqual([]);
    expect(atOnePointEight.map((message) => message.MessageId)).toEqual([first.MessageId]);
  });

  it('never delivers a deleted message again', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await send(queue.url, 'done');
    const message = await receiveOne(queue.url);

    // Act
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
    await sleep(1_100);
    const later = await receive(queue.url, { WaitTimeSeconds: 1 });

    // Assess
    expect(later).toEqual([]);
    expect(await countsOf(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('deletes with an older receipt handle, but ignores visibility changes through it', async () => {
    // Prepare: the message is redelivered, so the first handle is stale.
    const queue = await createQueue();
    await send(queue.url, 'stale');
    const first = await receiveOne(queue.url, { VisibilityTimeout: 0 });
    const second = await receiveOne(queue.url, { VisibilityTimeout: 30 });

    // Act
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }));
    const afterStaleChange = await receive(queue.url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle }));
    const countsAfterStaleDelete = await countsOf(queue.url);
    const changeAfterDelete = failureOf(
      sqs.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: second.ReceiptHandle, VisibilityTimeout: 10 }),
      ),
    );

    // Assess
    expect(second.MessageId).toBe(first.MessageId);
    expect(afterStaleChange).toEqual([]);
    expect(countsAfterStaleDelete).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await changeAfterDelete).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('answers an expired receipt handle with success and leaves the message visible', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await send(queue.url, 'expired');
    const first = await receiveOne(queue.url);
    await sleep(1_100);

    // Act
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 30 }));
    const counts = await countsOf(queue.url);

    // Assess
    expect(counts).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
  });

  it('raises ReceiptHandleIsInvalid for garbage and for handles of another queue', async () => {
    // Prepare
    const queue = await createQueue();
    const other = await createQueue();
    await send(other.url, 'elsewhere');
    const foreign = await receiveOne(other.url);

    // Act
    const garbage = failureOf(sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: 'not-a-handle' })));
    const wrongQueue = failureOf(sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: foreign.ReceiptHandle })));
    const garbageChange = failureOf(sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: 'not-a-handle', VisibilityTimeout: 1 })));

    // Assess
    expect(await garbage).toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    expect(await wrongQueue).toMatchObject({ name: 'ReceiptHandleIsInvalid' });
    expect(await garbageChange).toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('limits the total visibility timeout to 12 hours after the receive', async () => {
    // Prepare: a server whose clock the test moves one hour past the receive.
    let offsetMs = 0;
    const own = await startSqsServer({ clock: () => Date.now() + offsetMs });
    const client = clientFor(own);
    const queue = await createQueue({}, client);
    await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'long' }));
    const [message] = await receive(queue.url, { VisibilityTimeout: 43_200 }, client);
    offsetMs = 3_600_000;

    // Act
    const upToTwelveHours = await client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: message?.ReceiptHandle, VisibilityTimeout: 39_600 }),
    );
    const beyond = await failureOf(
      client.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: message?.ReceiptHandle, VisibilityTimeout: 39_601 })),
    );
    client.destroy();
    await own.close();

    // Assess
    expect(upToTwelveHours.$metadata.httpStatusCode).toBe(200);
    expect(beyond).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('deletes and changes visibility in batches with per-entry results', async () => {
    // Prepare
    const queue = await createQueue();
    for (const body of ['a', 'b', 'c']) await send(queue.url, body);
    const [a, b, c] = await receive(queue.url, { MaxNumberOfMessages: 3 });

    // Act
    const changed = await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'a', ReceiptHandle: a?.ReceiptHandle, VisibilityTimeout: 0 },
          { Id: 'bad', ReceiptHandle: 'garbage', VisibilityTimeout: 0 },
        ],
      }),
    );
    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'b', ReceiptHandle: b?.ReceiptHandle },
          { Id: 'c', ReceiptHandle: c?.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'garbage' },
        ],
      }),
    );
    const remaining = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(changed.Successful).toEqual([{ Id: 'a' }]);
    expect(changed.Failed).toEqual([expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true })]);
    expect(deleted.Successful?.map((entry) => entry.Id)).toEqual(['b', 'c']);
    expect(deleted.Failed?.map((entry) => entry.Code)).toEqual(['ReceiptHandleIsInvalid']);
    expect(remaining.map((message) => message.Body)).toEqual(['a']);
  });

  it('purges visible, in-flight and delayed messages', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'visible');
    await send(queue.url, 'in-flight');
    await send(queue.url, 'delayed', 30);
    const inFlight = await receiveOne(queue.url);

    // Act
    await sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url }));
    const counts = await countsOf(queue.url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: inFlight.ReceiptHandle }));

    // Assess
    expect(counts).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });
});

describe('Local SQS server: long polling', () => {
  it('returns as soon as one message arrives, without waiting to fill MaxNumberOfMessages', async () => {
    // Prepare
    const queue = await createQueue();
    const started = Date.now();

    // Act
    const polling = receive(queue.url, { WaitTimeSeconds: 10, MaxNumberOfMessages: 10 });
    await sleep(100);
    await send(queue.url, 'arrived');
    const messages = await polling;

    // Assess
    expect(messages.map((message) => message.Body)).toEqual(['arrived']);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('wakes when a delay runs out', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'delayed', 1);
    const started = Date.now();

    // Act
    const messages = await receive(queue.url, { WaitTimeSeconds: 5 });

    // Assess
    expect(messages.map((message) => message.Body)).toEqual(['delayed']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('wakes when a visibility timeout runs out', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'retry');
    await receiveOne(queue.url, { VisibilityTimeout: 1 });
    const started = Date.now();

    // Act
    const messages = await receive(queue.url, { WaitTimeSeconds: 5 });

    // Assess
    expect(messages.map(receiveCountOf)).toEqual([2]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('wakes when ChangeMessageVisibility sets 0', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'release');
    const held = await receiveOne(queue.url, { VisibilityTimeout: 60 });
    const started = Date.now();

    // Act
    const polling = receive(queue.url, { WaitTimeSeconds: 10 });
    await sleep(100);
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: held.ReceiptHandle, VisibilityTimeout: 0 }));
    const messages = await polling;

    // Assess
    expect(messages.map((message) => message.MessageId)).toEqual([held.MessageId]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('gives concurrent long pollers distinct messages', async () => {
    // Prepare
    const queue = await createQueue();
    const pollers = Array.from({ length: 5 }, () => receive(queue.url, { WaitTimeSeconds: 10, MaxNumberOfMessages: 10 }));
    await waitFor(() => server.stats().queues.find((stats) => stats.name === queue.name)?.waitingReceives === 5);

    // Act
    for (let index = 0; index < 5; index++) await send(queue.url, `m${index}`);
    const results = await Promise.all(pollers);

    // Assess
    const ids = results.flat().map((message) => message.MessageId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(results.every((messages) => messages.length === 1)).toBe(true);
  });

  it('returns empty after WaitTimeSeconds when nothing arrives', async () => {
    // Prepare
    const queue = await createQueue();
    const started = Date.now();

    // Act
    const messages = await receive(queue.url, { WaitTimeSeconds: 1 });

    // Assess
    expect(messages).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('uses the queue ReceiveMessageWaitTimeSeconds when the call sets none', async () => {
    // Prepare
    const queue = await createQueue({ ReceiveMessageWaitTimeSeconds: '10' });

    // Act
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url }));
    await sleep(200);
    await send(queue.url, 'queue-default');
    const { Messages = [] } = await polling;

    // Assess
    expect(Messages.map((message) => message.Body)).toEqual(['queue-default']);
  });

  it('ends pending long polls promptly on close()', async () => {
    // Prepare
    const own = await startSqsServer();
    const client = clientFor(own);
    const queue = await createQueue({}, client);
    const polling = receive(queue.url, { WaitTimeSeconds: 20 }, client);
    await waitFor(() => own.stats().queues[0]?.waitingReceives === 1);
    const started = Date.now();

    // Act
    await own.close();
    const messages = await polling;
    client.destroy();

    // Assess
    expect(messages).toEqual([]);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('Local SQS server: dead-letter queues', () => {
  async function createPipe(maxReceiveCount: number): Promise<{ source: TestQueue; dlq: TestQueue }> {
    const dlq = await createQueue();
    const source = await createQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount }) });
    return { source, dlq };
  }

  it('delivers a message exactly maxReceiveCount times, then moves it to the DLQ once, intact', async () => {
    // Prepare
    const { source, dlq } = await createPipe(3);
    const { MessageId } = await sqs.send(
      new SendMessageCommand({
        QueueUrl: source.url,
        MessageBody: 'poison',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'pdf' } },
      }),
    );

    // Act
    const deliveries: Message[] = [];
    for (let attempt = 0; attempt < 5; attempt++) deliveries.push(...(await receive(source.url, { VisibilityTimeout: 0 })));
    const sourceCounts = await countsOf(source.url);
    const dlqCounts = await countsOf(dlq.url);
    const [dead] = await receive(dlq.url);

    // Assess
    expect(deliveries.map(receiveCountOf)).toEqual([1, 2, 3]);
    expect(sourceCounts).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(dlqCounts).toEqual({ visible: 1, inFlight: 0, delayed: 0 });
    expect(dead?.MessageId).toBe(MessageId);
    expect(dead?.Body).toBe('poison');
    expect(dead?.MessageAttributes).toEqual({ kind: { DataType: 'String', StringValue: 'pdf' } });
    // The receive count travels with the message; receiving it from the DLQ adds one.
    expect(dead && receiveCountOf(dead)).toBe(4);
    expect(dead?.Attributes?.DeadLetterQueueSourceArn).toBe(source.arn);
  });

  it('redrives on the receive after the last allowed delivery, also after a visibility timeout', async () => {
    // Prepare
    const { source, dlq } = await createPipe(1);
    await send(source.url, 'once');
    await receiveOne(source.url, { VisibilityTimeout: 1 });

    // Act
    const polling = receive(dlq.url, { WaitTimeSeconds: 5 });
    await sleep(1_100);
    const fromSource = await receive(source.url, { WaitTimeSeconds: 1 });
    const fromDlq = await polling;

    // Assess
    expect(fromSource).toEqual([]);
    expect(fromDlq.map((message) => message.Body)).toEqual(['once']);
  });

  it('lists the source queues of a dead-letter queue', async () => {
    // Prepare
    const { source, dlq } = await createPipe(2);

    // Act
    const { queueUrls } = await sqs.send(new ListDeadLetterSourceQueuesCommand({ QueueUrl: dlq.url }));

    // Assess
    expect(queueUrls).toEqual([source.url]);
  });

  it('rejects a redrive policy whose target does not exist', async () => {
    // Act
    const create = failureOf(
      sqs.send(
        new CreateQueueCommand({
          QueueName: `conformance-orphan-${++queueCounter}`,
          Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:missing', maxReceiveCount: 3 }) },
        }),
      ),
    );

    // Assess
    expect(await create).toMatchObject({ name: 'InvalidParameterValue' });
  });

  async function deadLetter(source: TestQueue, bodies: readonly string[]): Promise<void> {
    for (const body of bodies) await send(source.url, body);
    // maxReceiveCount is 1: one delivery each, then the next receives move them.
    while ((await receive(source.url, { VisibilityTimeout: 0, MaxNumberOfMessages: 10 })).length > 0);
  }

  async function waitForTask(sourceArn: string): Promise<NonNullable<Awaited<ReturnType<typeof listTasks>>>[number]> {
    let latest: Awaited<ReturnType<typeof listTasks>>[number] | undefined;
    await waitFor(async () => {
      latest = (await listTasks(sourceArn))[0];
      return latest?.Status !== undefined && latest.Status !== 'RUNNING';
    });
    if (!latest) throw new Error('no task');
    return latest;
  }

  async function listTasks(sourceArn: string) {
    return (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }))).Results ?? [];
  }

  it('moves dead letters back to their source queues as new messages', async () => {
    // Prepare
    const { source, dlq } = await createPipe(1);
    await deadLetter(source, ['first', 'second']);
    const before = await receive(dlq.url, { VisibilityTimeout: 0, MaxNumberOfMessages: 10 });

    // Act
    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    const task = await waitForTask(dlq.arn);
    const moved = await receive(source.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(TaskHandle).toBeTruthy();
    expect(task).toMatchObject({
      Status: 'COMPLETED',
      SourceArn: dlq.arn,
      ApproximateNumberOfMessagesMoved: 2,
      ApproximateNumberOfMessagesToMove: 2,
    });
    expect(task.TaskHandle).toBeUndefined();
    expect(task.DestinationArn).toBeUndefined();
    expect(typeof task.StartedTimestamp).toBe('number');
    expect(moved.map((message) => message.Body).sort()).toEqual(['first', 'second']);
    // Redriven messages are new messages: new id, receive count starting over.
    expect(moved.map(receiveCountOf)).toEqual([1, 1]);
    expect(moved.some((message) => before.some((old) => old.MessageId === message.MessageId))).toBe(false);
    expect(await countsOf(dlq.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('moves to an explicit destination at MaxNumberOfMessagesPerSecond and wakes its long polls', async () => {
    // Prepare
    const { source, dlq } = await createPipe(1);
    const destination = await createQueue();
    await deadLetter(source, ['a', 'b', 'c']);
    const started = Date.now();

    // Act
    const polling = receive(destination.url, { WaitTimeSeconds: 5 });
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: destination.arn, MaxNumberOfMessagesPerSecond: 5 }));
    const first = await polling;
    const task = await waitForTask(dlq.arn);

    // Assess: first message at once, then one every 200 ms.
    expect(first).toHaveLength(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(task).toMatchObject({ Status: 'COMPLETED', DestinationArn: destination.arn, MaxNumberOfMessagesPerSecond: 5, ApproximateNumberOfMessagesMoved: 3 });
    expect((await countsOf(destination.url)).visible).toBe(2);
  });

  it('cancels a running move task and leaves the rest in the DLQ', async () => {
    // Prepare
    const { source, dlq } = await createPipe(1);
    await deadLetter(source, ['1', '2', '3', '4', '5']);
    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 1 }));
    const running = await listTasks(dlq.arn);

    // Act
    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    const [task] = await listTasks(dlq.arn);

    // Assess
    expect(running[0]).toMatchObject({ Status: 'RUNNING', TaskHandle });
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBeLessThan(5);
    expect(task?.Status).toBe('CANCELLED');
    expect((await countsOf(dlq.url)).visible).toBeGreaterThan(0);
  });

  it('rejects move tasks that AWS rejects', async () => {
    // Prepare
    const { source, dlq } = await createPipe(1);
    await deadLetter(source, ['slow-1', 'slow-2']);
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 1 }));

    // Act
    const notDlq = failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: source.arn })));
    const missing = failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: 'arn:aws:sqs:us-east-1:000000000000:missing' })));
    const second = failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn })));
    const badHandle = failureOf(sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle: 'foobared' })));

    // Assess
    expect(await notDlq).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await missing).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
    expect(await second).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await badHandle).toMatchObject({ name: 'InvalidParameterValue' });
  });
});

describe('Local SQS server: retention', () => {
  it('drops messages older than MessageRetentionPeriod, in the queue and in its DLQ', async () => {
    // Prepare: a clock the test can move forward.
    let offsetMs = 0;
    const own = await startSqsServer({ clock: () => Date.now() + offsetMs });
    const client = clientFor(own);
    const dlq = await createQueue({ MessageRetentionPeriod: '120' }, client);
    const queue = await createQueue(
      { MessageRetentionPeriod: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) },
      client,
    );
    await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'old' }));
    await receive(queue.url, { VisibilityTimeout: 0 }, client);
    await receive(queue.url, {}, client);
    await client.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'stale' }));

    // Act
    offsetMs = 61_000;
    const fromQueue = await receive(queue.url, {}, client);
    const dlqCountsAt61 = await countsOf(dlq.url, client);
    offsetMs = 121_000;
    const dlqCountsAt121 = await countsOf(dlq.url, client);
    client.destroy();
    await own.close();

    // Assess: the DLQ copy keeps its original enqueue time, so it expires 120 s after the send.
    expect(fromQueue).toEqual([]);
    expect(dlqCountsAt61.visible).toBe(1);
    expect(dlqCountsAt121.visible).toBe(0);
  });
});

describe('Local SQS server: protocol', () => {
  it('answers errors in the awsJson1_0 shape with the x-amzn-query-error header', async () => {
    // Act
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.GetQueueUrl' },
      body: JSON.stringify({ QueueName: 'nope' }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.NonExistentQueue;Sender');
    expect(await response.json()).toEqual({ __type: 'com.amazonaws.sqs#QueueDoesNotExist', message: 'The specified queue does not exist.' });
  });

  it('answers unknown and unimplemented actions with UnsupportedOperation', async () => {
    // Prepare
    const queue = await createQueue();

    // Act
    const raw = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.TeleportMessage' },
      body: '{}',
    });
    const viaSdk = failureOf(sqs.send(new AddPermissionCommand({ QueueUrl: queue.url, Label: 'l', AWSAccountIds: ['111111111111'], Actions: ['SendMessage'] })));

    // Assess
    expect(raw.status).toBe(400);
    expect(raw.headers.get('x-amzn-query-error')).toBe('AWS.SimpleQueueService.UnsupportedOperation;Sender');
    expect(await viaSdk).toMatchObject({ name: 'UnsupportedOperation' });
  });

  it('answers a malformed body instead of hanging', async () => {
    // Act
    const response = await fetch(server.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' },
      body: '{not json',
    });

    // Assess
    expect(response.status).toBe(400);
    expect(((await response.json()) as { __type: string }).__type).toBe('com.amazonaws.sqs#SerializationException');
  });
});
