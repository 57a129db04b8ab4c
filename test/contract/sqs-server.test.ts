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
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/scheduler.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';

/**
 * Conformance suite for the local SQS server, driven by the real @aws-sdk/client-sqs. Each test states
 * the AWS behaviour it pins down; the retry/backoff/DLQ semantics of Conveyor rest on these.
 *
 * Time is the server's injected clock, which only `advance()` moves: a test that needs a delay or a
 * visibility timeout to run out moves the clock to one millisecond before and to the moment itself,
 * so it proves the boundary without sleeping, and a long poll can only end for the reason under test
 * (its wait cannot run out while the clock stands still). Nothing here measures elapsed time.
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

/** Polls an observation; gives up after a bounded number of looks (the test's timeout bounds it in time). */
async function waitFor(condition: () => boolean | Promise<boolean>, maxLooks = 2_000): Promise<void> {
  for (let look = 0; !(await condition()); look++) {
    if (look >= maxLooks) throw new Error('condition not met');
    await sleep(10);
  }
}

const clock = new ManualClock(Date.parse('2026-06-01T09:00:00Z'));
let server: SqsServer;
let sqs: SQSClient;
let queueCounter = 0;

/** Moves the server's clock and lets it act on the new time at once. */
function advance(ms: number, target: SqsServer = server): void {
  clock.advance(ms);
  target.tick();
}

function waitingReceivesOf(queue: { readonly name: string }, target: SqsServer = server): number {
  return target.stats().queues.find((stats) => stats.name === queue.name)?.waitingReceives ?? 0;
}

/** Resolves once `count` long polls are parked on the queue (received nothing and wait). */
async function parked(queue: { readonly name: string }, count = 1, target: SqsServer = server): Promise<void> {
  await waitFor(() => waitingReceivesOf(queue, target) === count);
}

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

function bodies(messages: readonly Message[]): Array<string | undefined> {
  return messages.map((message) => message.Body);
}

function receiveCountOf(message: Message): number {
  return Number(message.Attributes?.ApproximateReceiveCount);
}

async function send(url: string, body: string, delaySeconds?: number): Promise<string> {
  const { MessageId } = await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, DelaySeconds: delaySeconds }));
  return MessageId ?? '';
}

beforeAll(async () => {
  server = await startSqsServer({ clock: () => clock.now() });
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
    const sentAt = clock.now();
    const messageId = await send(queue.url, 'attributes');
    advance(1_500);

    // Act
    const message = await receiveOne(queue.url);

    // Assess
    expect(message.MessageId).toBe(messageId);
    expect(message.Attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SenderId: '000000000000',
      SentTimestamp: String(sentAt),
      ApproximateFirstReceiveTimestamp: String(sentAt + 1_500),
    });
    // Standard queues carry no FIFO attributes.
    expect(message.Attributes?.SequenceNumber).toBeUndefined();
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
    advance(999);
    const justBefore = await receive(queue.url, { MaxNumberOfMessages: 10 });
    advance(1);
    const due = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(early.map((message) => message.Body)).toEqual(['no-delay']);
    expect(earlyCounts).toEqual({ visible: 0, inFlight: 1, delayed: 2 });
    expect(justBefore).toEqual([]);
    expect(due.map((message) => message.Body).sort()).toEqual(['message-delay', 'queue-delay']);
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
    advance(999);
    const justBefore = await receive(queue.url);
    advance(1);
    const again = await receiveOne(queue.url);

    // Assess
    expect(whileInFlight).toEqual([]);
    expect(justBefore).toEqual([]);
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
    advance(600);

    // Act: at 0.6 s ask for 1 more second, so the message returns at 1.6 s, not 1 s.
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 1 }));
    advance(400);
    const atOne = await receive(queue.url);
    advance(599);
    const atOnePointFiveNineNine = await receive(queue.url);
    advance(1);
    const atOnePointSix = await receive(queue.url);

    // Assess
    expect(atOne).toEqual([]);
    expect(atOnePointFiveNineNine).toEqual([]);
    expect(atOnePointSix.map((message) => message.MessageId)).toEqual([first.MessageId]);
  });

  it('never delivers a deleted message again', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await send(queue.url, 'done');
    const message = await receiveOne(queue.url);

    // Act
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }));
    advance(1_000);
    const later = await receive(queue.url);

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
    advance(1_000);

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
    // Prepare: the clock moves one hour past the receive.
    const queue = await createQueue();
    await send(queue.url, 'long');
    const [message] = await receive(queue.url, { VisibilityTimeout: 43_200 });
    advance(3_600_000);

    // Act
    const upToTwelveHours = await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: message?.ReceiptHandle, VisibilityTimeout: 39_600 }),
    );
    const beyond = await failureOf(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: message?.ReceiptHandle, VisibilityTimeout: 39_601 })),
    );

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
  // The clock stands still while a poll is parked, so its wait cannot run out: a poll that answers
  // with a message answered because of the event the test caused, whatever the machine's load.
  it('returns as soon as one message arrives, without waiting to fill MaxNumberOfMessages', async () => {
    // Prepare
    const queue = await createQueue();
    const polling = receive(queue.url, { WaitTimeSeconds: 10, MaxNumberOfMessages: 10 });
    await parked(queue);

    // Act
    await send(queue.url, 'arrived');
    const messages = await polling;

    // Assess
    expect(messages.map((message) => message.Body)).toEqual(['arrived']);
    expect(waitingReceivesOf(queue)).toBe(0);
  });

  it('wakes when a delay runs out', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'delayed', 1);
    const polling = receive(queue.url, { WaitTimeSeconds: 5 });
    await parked(queue);

    // Act
    advance(999);
    const waitingJustBefore = waitingReceivesOf(queue);
    advance(1);
    const messages = await polling;

    // Assess
    expect(waitingJustBefore).toBe(1);
    expect(messages.map((message) => message.Body)).toEqual(['delayed']);
  });

  it('wakes when a visibility timeout runs out', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'retry');
    await receiveOne(queue.url, { VisibilityTimeout: 1 });
    const polling = receive(queue.url, { WaitTimeSeconds: 5 });
    await parked(queue);

    // Act
    advance(999);
    const waitingJustBefore = waitingReceivesOf(queue);
    advance(1);
    const messages = await polling;

    // Assess
    expect(waitingJustBefore).toBe(1);
    expect(messages.map(receiveCountOf)).toEqual([2]);
  });

  it('wakes when ChangeMessageVisibility sets 0', async () => {
    // Prepare
    const queue = await createQueue();
    await send(queue.url, 'release');
    const held = await receiveOne(queue.url, { VisibilityTimeout: 60 });
    const polling = receive(queue.url, { WaitTimeSeconds: 10 });
    await parked(queue);

    // Act
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: held.ReceiptHandle, VisibilityTimeout: 0 }));
    const messages = await polling;

    // Assess
    expect(messages.map((message) => message.MessageId)).toEqual([held.MessageId]);
  });

  it('gives concurrent long pollers distinct messages', async () => {
    // Prepare
    const queue = await createQueue();
    const pollers = Array.from({ length: 5 }, () => receive(queue.url, { WaitTimeSeconds: 10, MaxNumberOfMessages: 10 }));
    await parked(queue, 5);

    // Act
    for (let index = 0; index < 5; index++) await send(queue.url, `m${index}`);
    const results = await Promise.all(pollers);

    // Assess
    const ids = results.flat().map((message) => message.MessageId);
    expect(ids).toHaveLength(5);
    expect(new Set(ids).size).toBe(5);
    expect(results.every((messages) => messages.length === 1)).toBe(true);
  });

  it('returns empty when WaitTimeSeconds runs out on the clock, not before', async () => {
    // Prepare
    const queue = await createQueue();
    const polling = receive(queue.url, { WaitTimeSeconds: 1 });
    await parked(queue);

    // Act
    advance(999);
    const waitingJustBefore = waitingReceivesOf(queue);
    advance(1);
    const messages = await polling;

    // Assess
    expect(waitingJustBefore).toBe(1);
    expect(messages).toEqual([]);
  });

  it('uses the queue ReceiveMessageWaitTimeSeconds when the call sets none', async () => {
    // Prepare
    const queue = await createQueue({ ReceiveMessageWaitTimeSeconds: '10' });

    // Act: the call waits (it is parked rather than answered empty), and the send ends the wait.
    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url }));
    await parked(queue);
    await send(queue.url, 'queue-default');
    const { Messages = [] } = await polling;

    // Assess
    expect(Messages.map((message) => message.Body)).toEqual(['queue-default']);
  });

  it('ends pending long polls on close()', async () => {
    // Prepare: with the clock standing still, only close() can end this 20-second wait.
    const own = await startSqsServer({ clock: () => clock.now() });
    const client = clientFor(own);
    const queue = await createQueue({}, client);
    const polling = receive(queue.url, { WaitTimeSeconds: 20 }, client);
    await parked(queue, 1, own);

    // Act
    await own.close();
    const messages = await polling;
    client.destroy();

    // Assess
    expect(messages).toEqual([]);
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
    const polling = receive(dlq.url, { WaitTimeSeconds: 5 });
    await parked(dlq);

    // Act
    advance(1_000);
    const fromSource = await receive(source.url);
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
    const polling = receive(destination.url, { WaitTimeSeconds: 5 });
    await parked(destination);
    const moved = async () => (await listTasks(dlq.arn))[0]?.ApproximateNumberOfMessagesMoved;

    // Act: the first message moves at once, then one per 200 ms of the server's clock.
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: destination.arn, MaxNumberOfMessagesPerSecond: 5 }));
    const first = await polling;
    const movedAtStart = await moved();
    advance(199);
    const movedAt199 = await moved();
    advance(1);
    const movedAt200 = await moved();
    advance(200);
    const task = await waitForTask(dlq.arn);

    // Assess
    expect(first).toHaveLength(1);
    expect([movedAtStart, movedAt199, movedAt200]).toEqual([1, 1, 2]);
    expect(task).toMatchObject({ Status: 'COMPLETED', DestinationArn: destination.arn, MaxNumberOfMessagesPerSecond: 5, ApproximateNumberOfMessagesMoved: 3 });
    expect((await countsOf(destination.url)).visible).toBe(2);
  });

  it('cancels a running move task and leaves the rest in the DLQ', async () => {
    // Prepare
    const { source, dlq } = await createPipe(1);
    await deadLetter(source, ['1', '2', '3', '4', '5']);
    // At one message per second of a clock that stands still, the task moves its first message and waits.
    const { TaskHandle } = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, MaxNumberOfMessagesPerSecond: 1 }));
    await waitFor(async () => (await listTasks(dlq.arn))[0]?.ApproximateNumberOfMessagesMoved === 1);
    const running = await listTasks(dlq.arn);

    // Act
    const cancelled = await sqs.send(new CancelMessageMoveTaskCommand({ TaskHandle }));
    advance(10_000);
    const [task] = await listTasks(dlq.arn);

    // Assess: nothing moves after the cancel, however far the clock goes.
    expect(running[0]).toMatchObject({ Status: 'RUNNING', TaskHandle });
    expect(cancelled.ApproximateNumberOfMessagesMoved).toBe(1);
    expect(task).toMatchObject({ Status: 'CANCELLED', ApproximateNumberOfMessagesMoved: 1 });
    expect((await countsOf(dlq.url)).visible).toBe(4);
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

describe('Local SQS server: FIFO queues', () => {
  // SQS Developer Guide: "Amazon SQS FIFO queue key terms", "FIFO queue delivery logic in Amazon SQS",
  // "Exactly-once processing in Amazon SQS"; API reference: CreateQueue, SendMessage, ReceiveMessage.
  async function createFifoQueue(attributes: Record<string, string> = {}): Promise<TestQueue> {
    const name = `conformance-${++queueCounter}.fifo`;
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', ...attributes } }));
    const url = QueueUrl ?? '';
    return { name, url, arn: await arnOf(url) };
  }

  async function sendFifo(url: string, body: string, group: string, deduplicationId: string | undefined = body) {
    return sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: deduplicationId }));
  }

  async function deleteAll(url: string, messages: readonly Message[]): Promise<void> {
    for (const message of messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
  }

  it('creates a FIFO queue only with a .fifo name, reports its attributes and validates the FIFO ones', async () => {
    // Prepare
    const queue = await createFifoQueue();

    // Act
    const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['All'] }));
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: queue.url,
        Attributes: { ContentBasedDeduplication: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' },
      }),
    );
    const changed = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit'] }));
    const noSuffix = failureOf(sqs.send(new CreateQueueCommand({ QueueName: `plain-${++queueCounter}`, Attributes: { FifoQueue: 'true' } })));
    const suffixOnly = failureOf(sqs.send(new CreateQueueCommand({ QueueName: `suffix-${++queueCounter}.fifo` })));
    const fifoAttributeOnStandard = failureOf(sqs.send(new CreateQueueCommand({ QueueName: `standard-${++queueCounter}`, Attributes: { ContentBasedDeduplication: 'true' } })));
    const badScope = failureOf(sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { DeduplicationScope: 'tenant' } })));
    const typeChange = failureOf(sqs.send(new SetQueueAttributesCommand({ QueueUrl: queue.url, Attributes: { FifoQueue: 'false' } as Record<string, string> })));

    // Assess
    expect(queue.url).toBe(`${server.endpoint}/000000000000/${queue.name}`);
    expect(Attributes).toMatchObject({ FifoQueue: 'true', ContentBasedDeduplication: 'false', DeduplicationScope: 'queue', FifoThroughputLimit: 'perQueue' });
    expect(changed.Attributes).toEqual({ ContentBasedDeduplication: 'true', DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });
    expect(await noSuffix).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await suffixOnly).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await fifoAttributeOnStandard).toMatchObject({ name: 'InvalidAttributeName' });
    expect(await badScope).toMatchObject({ name: 'InvalidAttributeValue' });
    expect(await typeChange).toMatchObject({ name: 'InvalidAttributeName' });
  });

  it('requires MessageGroupId and a deduplication id, refuses a per-message delay and applies the queue delay', async () => {
    // Prepare
    const queue = await createFifoQueue();
    const delayedQueue = await createFifoQueue({ DelaySeconds: '5' });

    // Act
    const noGroup = failureOf(sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x', MessageDeduplicationId: 'x' })));
    const noDeduplicationId = failureOf(sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x', MessageGroupId: 'g' })));
    const perMessageDelay = failureOf(
      sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'x', MessageGroupId: 'g', MessageDeduplicationId: 'x', DelaySeconds: 5 })),
    );
    const zeroDelay = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'zero', MessageGroupId: 'g', MessageDeduplicationId: 'zero', DelaySeconds: 0 }));
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'ok', MessageBody: 'ok', MessageGroupId: 'g', MessageDeduplicationId: 'ok' },
          { Id: 'delayed', MessageBody: 'delayed', MessageGroupId: 'g', MessageDeduplicationId: 'delayed', DelaySeconds: 3 },
          { Id: 'no-group', MessageBody: 'no-group', MessageDeduplicationId: 'no-group' },
        ],
      }),
    );
    await sendFifo(delayedQueue.url, 'late', 'g');
    const delayedCounts = await countsOf(delayedQueue.url);
    advance(4_999);
    const beforeQueueDelay = await receive(delayedQueue.url);
    advance(1);
    const afterQueueDelay = await receive(delayedQueue.url);

    // Assess
    expect(await noGroup).toMatchObject({ name: 'MissingParameter' });
    expect(await noDeduplicationId).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('ContentBasedDeduplication') });
    expect(await perMessageDelay).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('DelaySeconds') });
    expect(zeroDelay.MessageId).toBeTruthy();
    expect(batch.Successful?.map((entry) => entry.Id)).toEqual(['ok']);
    expect(batch.Failed?.map((entry) => [entry.Id, entry.Code])).toEqual([
      ['delayed', 'InvalidParameterValue'],
      ['no-group', 'MissingParameter'],
    ]);
    expect(delayedCounts).toEqual({ visible: 0, inFlight: 0, delayed: 1 });
    expect(beforeQueueDelay).toEqual([]);
    expect(bodies(afterQueueDelay)).toEqual(['late']);
  });

  it('accepts a duplicate inside the 5-minute interval with the original message id, delivers once, and forgets the key after', async () => {
    // Prepare
    const queue = await createFifoQueue();
    const original = await sendFifo(queue.url, 'order-1 v1', 'orders', 'order-1');

    // Act
    const duplicate = await sendFifo(queue.url, 'order-1 v2', 'orders', 'order-1');
    const delivered = await receive(queue.url, { MaxNumberOfMessages: 10 });
    await deleteAll(queue.url, delivered);
    advance(299_999);
    const stillDuplicate = await sendFifo(queue.url, 'order-1 v3', 'orders', 'order-1');
    const afterDuplicate = await receive(queue.url, { MaxNumberOfMessages: 10 });
    advance(1);
    const fresh = await sendFifo(queue.url, 'order-1 v4', 'orders', 'order-1');
    const afterInterval = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess: the key outlives the deleted message, and a duplicate does not extend the interval.
    expect(duplicate.MessageId).toBe(original.MessageId);
    expect(duplicate.SequenceNumber).toBe(original.SequenceNumber);
    expect(bodies(delivered)).toEqual(['order-1 v1']);
    expect(stillDuplicate.MessageId).toBe(original.MessageId);
    expect(afterDuplicate).toEqual([]);
    expect(fresh.MessageId).not.toBe(original.MessageId);
    expect(bodies(afterInterval)).toEqual(['order-1 v4']);
  });

  it('deduplicates by the SHA-256 of the body with ContentBasedDeduplication; an explicit id overrides it', async () => {
    // Prepare
    const queue = await createFifoQueue({ ContentBasedDeduplication: 'true' });
    const digest = createHash('sha256').update('same body', 'utf8').digest('hex');

    // Act: the same body twice, in one batch and alone, then once more with an explicit id.
    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queue.url,
        Entries: [
          { Id: 'a', MessageBody: 'same body', MessageGroupId: 'g', MessageAttributes: { n: { DataType: 'Number', StringValue: '1' } } },
          { Id: 'b', MessageBody: 'same body', MessageGroupId: 'g', MessageAttributes: { n: { DataType: 'Number', StringValue: '2' } } },
        ],
      }),
    );
    const alone = await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'same body', MessageGroupId: 'g' }));
    const explicit = await sendFifo(queue.url, 'same body', 'g', 'explicit-id');
    const delivered = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess: attributes are not part of the content digest.
    const [first, second] = batch.Successful ?? [];
    expect(second?.MessageId).toBe(first?.MessageId);
    expect(alone.MessageId).toBe(first?.MessageId);
    expect(explicit.MessageId).not.toBe(first?.MessageId);
    expect(delivered.map((message) => message.Attributes?.MessageDeduplicationId)).toEqual([digest, 'explicit-id']);
  });

  it('scopes deduplication to the message group with DeduplicationScope=messageGroup', async () => {
    // Prepare
    const queue = await createFifoQueue({ DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId' });

    // Act
    const inA = await sendFifo(queue.url, 'a', 'tenant-a', 'same-id');
    const inB = await sendFifo(queue.url, 'b', 'tenant-b', 'same-id');
    const againInA = await sendFifo(queue.url, 'a again', 'tenant-a', 'same-id');

    // Assess
    expect(inB.MessageId).not.toBe(inA.MessageId);
    expect(againInA.MessageId).toBe(inA.MessageId);
    expect((await countsOf(queue.url)).visible).toBe(2);
  });

  it('delivers a group in send order with increasing SequenceNumber, MessageGroupId and MessageDeduplicationId', async () => {
    // Prepare
    const queue = await createFifoQueue();
    const sent = [];
    for (const body of ['1', '2', '3', '4']) sent.push(await sendFifo(queue.url, body, 'account-7'));

    // Act
    const delivered = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(bodies(delivered)).toEqual(['1', '2', '3', '4']);
    const sequence = sent.map((result) => BigInt(result.SequenceNumber ?? '0'));
    expect(sequence.every((value, index) => index === 0 || value > (sequence[index - 1] ?? 0n))).toBe(true);
    expect(delivered.map((message) => message.Attributes?.SequenceNumber)).toEqual(sent.map((result) => result.SequenceNumber));
    expect(delivered[0]?.Attributes).toMatchObject({ MessageGroupId: 'account-7', MessageDeduplicationId: '1' });
  });

  it('holds back the rest of a group while one of its messages is in flight, and serves other groups meanwhile', async () => {
    // Prepare
    const queue = await createFifoQueue();
    for (const [body, group] of [['a1', 'A'], ['a2', 'A'], ['b1', 'B']] as const) await sendFifo(queue.url, body, group);

    // Act
    const first = await receive(queue.url, { MaxNumberOfMessages: 1 });
    const whileALocked = await receive(queue.url, { MaxNumberOfMessages: 10 });
    const bothLocked = await receive(queue.url, { MaxNumberOfMessages: 10 });
    const lockedCounts = await countsOf(queue.url);
    await deleteAll(queue.url, first);
    const afterDelete = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess: a2 waits behind a1 although it is visible; B is not held back by A.
    expect(bodies(first)).toEqual(['a1']);
    expect(bodies(whileALocked)).toEqual(['b1']);
    expect(bodies(bothLocked)).toEqual([]);
    expect(lockedCounts).toEqual({ visible: 1, inFlight: 2, delayed: 0 });
    expect(bodies(afterDelete)).toEqual(['a2']);
  });

  it('returns as many messages of one group as it can in one receive, then other groups', async () => {
    // Prepare
    const queue = await createFifoQueue();
    for (const [body, group] of [['a1', 'A'], ['b1', 'B'], ['a2', 'A'], ['a3', 'A'], ['b2', 'B']] as const) await sendFifo(queue.url, body, group);

    // Act
    const firstTwo = await receive(queue.url, { MaxNumberOfMessages: 2 });
    const rest = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(bodies(firstTwo)).toEqual(['a1', 'a2']);
    expect(bodies(rest)).toEqual(['b1', 'b2']);
  });

  it('puts a message whose visibility ran out back at the head of its group, ahead of later messages', async () => {
    // Prepare: a1 and a2 in flight; a2 is handed back at once, a1 only when its 30 s run out.
    const queue = await createFifoQueue();
    for (const body of ['a1', 'a2', 'a3']) await sendFifo(queue.url, body, 'A');
    const [a1, a2] = await receive(queue.url, { MaxNumberOfMessages: 2, VisibilityTimeout: 30 });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: a2?.ReceiptHandle, VisibilityTimeout: 0 }));

    // Act
    const whileA1InFlight = await receive(queue.url, { MaxNumberOfMessages: 10 });
    advance(30_000);
    const again = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(a1?.Body).toBe('a1');
    expect(whileA1InFlight).toEqual([]);
    expect(bodies(again)).toEqual(['a1', 'a2', 'a3']);
    expect(again.map(receiveCountOf)).toEqual([2, 2, 1]);
  });

  it('wakes a long poll when the message holding its group is deleted', async () => {
    // Prepare
    const queue = await createFifoQueue();
    await sendFifo(queue.url, 'step-1', 'job-42');
    await sendFifo(queue.url, 'step-2', 'job-42');
    const held = await receive(queue.url);
    const polling = receive(queue.url, { WaitTimeSeconds: 20 });
    await parked(queue);

    // Act
    await deleteAll(queue.url, held);
    const next = await polling;

    // Assess
    expect(bodies(held)).toEqual(['step-1']);
    expect(bodies(next)).toEqual(['step-2']);
  });

  it('refuses to delete through a receipt handle whose receive is over', async () => {
    // Prepare
    const queue = await createFifoQueue();
    await sendFifo(queue.url, 'late', 'g');
    const [first] = await receive(queue.url, { VisibilityTimeout: 10 });
    advance(10_000);
    const [second] = await receive(queue.url, { VisibilityTimeout: 10 });

    // Act
    const stale = failureOf(sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: first?.ReceiptHandle })));
    const countsAfterStale = await countsOf(queue.url);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: second?.ReceiptHandle }));

    // Assess
    expect(await stale).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('expired') });
    expect(countsAfterStale).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(await countsOf(queue.url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it('answers a retried receive with the same ReceiveRequestAttemptId with the same messages and handles, resetting their visibility', async () => {
    // Prepare
    const queue = await createFifoQueue();
    await sendFifo(queue.url, 'm1', 'g');
    await sendFifo(queue.url, 'm2', 'g');

    // Act
    const attempt = { MaxNumberOfMessages: 10, VisibilityTimeout: 10, ReceiveRequestAttemptId: 'poll-1' };
    const first = await receive(queue.url, attempt);
    advance(8_000);
    const retried = await receive(queue.url, attempt);
    advance(9_999);
    const countsBeforeResetVisibility = await countsOf(queue.url);
    advance(1);
    const countsAfterResetVisibility = await countsOf(queue.url);
    const afterVisibilityRanOut = await receive(queue.url, attempt);
    const malformedId = failureOf(receive(queue.url, { ReceiveRequestAttemptId: 'has a space' }));

    // Assess: same handles on the retry; visible 10 s after the retry, not after the first receive.
    expect(bodies(first)).toEqual(['m1', 'm2']);
    expect(retried.map((message) => message.ReceiptHandle)).toEqual(first.map((message) => message.ReceiptHandle));
    expect(retried.map(receiveCountOf)).toEqual([1, 1]);
    expect(countsBeforeResetVisibility).toEqual({ visible: 0, inFlight: 2, delayed: 0 });
    expect(countsAfterResetVisibility).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    // Messages whose visibility changed since are not replayed: the same id now makes a new receive.
    expect(bodies(afterVisibilityRanOut)).toEqual(['m1', 'm2']);
    expect(afterVisibilityRanOut.map(receiveCountOf)).toEqual([2, 2]);
    expect(afterVisibilityRanOut[0]?.ReceiptHandle).not.toBe(first[0]?.ReceiptHandle);
    expect(await malformedId).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('moves a message to its FIFO dead-letter queue after maxReceiveCount, unblocking the group, and requires matching queue types', async () => {
    // Prepare
    const dlq = await createFifoQueue();
    const source = await createFifoQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) });
    const standardDlq = await createQueue();
    await sendFifo(source.url, 'poison', 'g', 'poison-id');
    await sendFifo(source.url, 'next', 'g');
    const [poison] = await receive(source.url, { VisibilityTimeout: 0 });
    advance(60_000);
    const movedAt = clock.now();

    // Act
    const afterRedrive = await receive(source.url, { MaxNumberOfMessages: 10 });
    const [dead] = await receive(dlq.url);
    const standardDlqForFifo = failureOf(
      sqs.send(
        new CreateQueueCommand({
          QueueName: `mismatch-${++queueCounter}.fifo`,
          Attributes: { FifoQueue: 'true', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: standardDlq.arn, maxReceiveCount: 1 }) },
        }),
      ),
    );
    const fifoDlqForStandard = failureOf(
      sqs.send(new CreateQueueCommand({ QueueName: `mismatch-${++queueCounter}`, Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) } })),
    );

    // Assess: the next message of the group is delivered by the same receive that dead-lettered the first.
    expect(bodies(afterRedrive)).toEqual(['next']);
    expect(dead?.MessageId).toBe(poison?.MessageId);
    expect(dead?.Attributes).toMatchObject({
      MessageGroupId: 'g',
      // "the original message's deduplication ID will be replaced with the original message's ID"
      MessageDeduplicationId: poison?.MessageId,
      // "For FIFO queues, the enqueue timestamp resets when the message is moved to a dead-letter queue."
      SentTimestamp: String(movedAt),
      DeadLetterQueueSourceArn: source.arn,
    });
    expect(await standardDlqForFifo).toMatchObject({ name: 'InvalidParameterValue' });
    expect(await fifoDlqForStandard).toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('redrives a FIFO dead-letter queue into a FIFO queue in order, and refuses a standard destination', async () => {
    // Prepare
    const dlq = await createFifoQueue();
    const source = await createFifoQueue({ RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) });
    const standard = await createQueue();
    for (const body of ['d1', 'd2', 'd3']) await sendFifo(source.url, body, 'g');
    for (let receives = 0; receives < 6; receives++) await receive(source.url, { VisibilityTimeout: 0, MaxNumberOfMessages: 10 });
    const dlqCounts = await countsOf(dlq.url);

    // Act
    const toStandard = failureOf(sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn, DestinationArn: standard.arn })));
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    await waitFor(async () => (await countsOf(source.url)).visible === 3);
    const redriven = await receive(source.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(dlqCounts.visible).toBe(3);
    expect(await toStandard).toMatchObject({ name: 'InvalidParameterValue' });
    expect(bodies(redriven)).toEqual(['d1', 'd2', 'd3']);
    expect(redriven.map((message) => message.Attributes?.MessageGroupId)).toEqual(['g', 'g', 'g']);
    expect(redriven.map(receiveCountOf)).toEqual([1, 1, 1]);
  });
});

describe('Local SQS server: fair queues (MessageGroupId on a standard queue)', () => {
  // SQS Developer Guide, "Amazon SQS fair queues" and "How Amazon SQS fair queues work": a tenant with a
  // backlog must not raise the dwell time of other tenants' messages. Locally, tenants take turns.
  it('does not let a flood of 1,000 messages of one group hold back a message of another group', async () => {
    // Prepare: the flood is sent first, then one message of a quiet tenant.
    const queue = await createQueue();
    for (let batch = 0; batch < 100; batch++) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queue.url,
          Entries: Array.from({ length: 10 }, (_, index) => ({ Id: `m${index}`, MessageBody: `noisy-${batch * 10 + index}`, MessageGroupId: 'tenant-noisy' })),
        }),
      );
    }
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'quiet-1', MessageGroupId: 'tenant-quiet' }));

    // Act: one message per receive, the slowest way to get to it.
    const received: Message[] = [];
    for (let receives = 0; receives < 2; receives++) received.push(...(await receive(queue.url, { MaxNumberOfMessages: 1 })));
    const batchOfTen = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess: the quiet tenant's message comes with the second receive, not after a thousand.
    expect(bodies(received)).toEqual(['noisy-0', 'quiet-1']);
    expect(received[1]?.Attributes?.MessageGroupId).toBe('tenant-quiet');
    // The noisy tenant's own messages still leave in the order they were sent.
    expect(bodies(batchOfTen)).toEqual(Array.from({ length: 10 }, (_, index) => `noisy-${index + 1}`));
    expect((await countsOf(queue.url)).visible).toBe(989);
  });

  it('gives groups turns within one receive', async () => {
    // Prepare
    const queue = await createQueue();
    for (const [body, group] of [['a1', 'A'], ['a2', 'A'], ['a3', 'A'], ['b1', 'B'], ['b2', 'B'], ['c1', 'C']] as const) {
      await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: body, MessageGroupId: group }));
    }

    // Act
    const messages = await receive(queue.url, { MaxNumberOfMessages: 10 });

    // Assess
    expect(bodies(messages)).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3']);
  });

  it('keeps arrival order for messages without a group, and sends a returned message to the back', async () => {
    // Prepare
    const queue = await createQueue();
    for (let index = 0; index < 12; index++) await send(queue.url, `m${index}`);

    // Act
    const [first] = await receive(queue.url, { MaxNumberOfMessages: 1 });
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queue.url, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 }));
    const rest = [...(await receive(queue.url, { MaxNumberOfMessages: 10 })), ...(await receive(queue.url, { MaxNumberOfMessages: 10 }))];

    // Assess
    expect(first?.Body).toBe('m0');
    expect(bodies(rest)).toEqual([...Array.from({ length: 11 }, (_, index) => `m${index + 1}`), 'm0']);
  });
});

describe('Local SQS server: retention', () => {
  it('drops messages older than MessageRetentionPeriod, in the queue and in its DLQ', async () => {
    // Prepare
    const dlq = await createQueue({ MessageRetentionPeriod: '120' });
    const queue = await createQueue({ MessageRetentionPeriod: '60', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }) });
    await send(queue.url, 'old');
    await receive(queue.url, { VisibilityTimeout: 0 });
    await receive(queue.url);
    await send(queue.url, 'stale');

    // Act
    advance(59_999);
    const countsAt59 = await countsOf(queue.url);
    advance(1);
    const fromQueue = await receive(queue.url);
    const dlqCountsAt60 = await countsOf(dlq.url);
    advance(59_999);
    const dlqCountsJustBefore120 = await countsOf(dlq.url);
    advance(1);
    const dlqCountsAt120 = await countsOf(dlq.url);

    // Assess: the DLQ copy keeps its original enqueue time, so it expires 120 s after the send.
    expect(countsAt59.visible).toBe(1);
    expect(fromQueue).toEqual([]);
    expect(dlqCountsAt60.visible).toBe(1);
    expect(dlqCountsJustBefore120.visible).toBe(1);
    expect(dlqCountsAt120.visible).toBe(0);
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
