import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/scheduler.js';
import { startSqsServer, type SqsServer } from '../../local/sqs/index.js';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const dirs: string[] = [];
const servers: SqsServer[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-sqs-'));
  dirs.push(dir);
  return dir;
}

async function boot(dataDir: string, clock?: ManualClock): Promise<{ server: SqsServer; sqs: SQSClient }> {
  const server = await startSqsServer({ dataDir, ...(clock ? { clock: () => clock.now() } : {}) });
  servers.push(server);
  return { server, sqs: new SQSClient({ region: 'us-east-1', credentials, endpoint: server.endpoint }) };
}

async function counts(sqs: SQSClient, QueueUrl: string) {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  return { visible: Number(Attributes.ApproximateNumberOfMessages), inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible), delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed) };
}

/** Sends five messages and leaves them in every state a message can be in. */
async function populate(sqs: SQSClient) {
  const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }))).QueueUrl!;
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const QueueUrl = (await sqs.send(new CreateQueueCommand({
    QueueName: 'jobs',
    Attributes: { VisibilityTimeout: '30', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) },
  }))).QueueUrl!;
  for (const body of ['a', 'b', 'c', 'd']) await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'delayed', DelaySeconds: 900 }));
  // 'a' is deleted; 'b' is received twice and left in flight for 10 minutes (a retry backoff).
  const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1 }));
  await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: first.Messages![0]!.ReceiptHandle! }));
  const second = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 0 }));
  expect(second.Messages![0]!.Body).toBe('b');
  const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 3 }));
  const b = again.Messages!.find((m) => m.Body === 'b')!;
  for (const m of again.Messages!.filter((m) => m.Body !== 'b')) {
    await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle!, VisibilityTimeout: 0 }));
  }
  await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: b.ReceiptHandle!, VisibilityTimeout: 600 }));
  return { QueueUrl, dlq };
}

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('Contract: local SQS server persistence (journal in the data dir)', () => {
  it('brings back queues and every undeleted message after a clean restart, with receive counts and deadlines', async () => {
    // Prepare
    const dataDir = tempDir();
    const before = await boot(dataDir);
    await populate(before.sqs);
    const expected = await counts(before.sqs, (await before.sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl!);
    await before.server.close();

    // Act
    const after = await boot(dataDir);
    const QueueUrl = (await after.sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl!;
    const restoredCounts = await counts(after.sqs, QueueUrl);
    const received = await after.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }));

    // Assess
    expect(after.server.restoredMessages).toBe(4);
    expect(expected).toEqual({ visible: 2, inFlight: 1, delayed: 1 });
    expect(restoredCounts).toEqual(expected);
    expect(received.Messages!.map((m) => m.Body).sort()).toEqual(['c', 'd']);
    // Receive counts survive: c and d were received once before the restart, this is their second.
    expect(received.Messages!.map((m) => m.Attributes!.ApproximateReceiveCount)).toEqual(['2', '2']);
    const { Attributes } = await after.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['RedrivePolicy', 'VisibilityTimeout'] }));
    expect(JSON.parse(Attributes!.RedrivePolicy!)).toMatchObject({ maxReceiveCount: 3 });
    expect(Attributes!.VisibilityTimeout).toBe('30');
  });

  it('loses nothing when the process dies without closing (the journal is written before each answer)', async () => {
    // Prepare: a server that is never closed before its journal is read — as after kill -9.
    const dataDir = tempDir();
    const crashed = await boot(dataDir);
    await populate(crashed.sqs);
    const copy = tempDir();
    copyFileSync(join(dataDir, 'journal.jsonl'), join(copy, 'journal.jsonl'));

    // Act
    const after = await boot(copy);
    const QueueUrl = (await after.sqs.send(new GetQueueUrlCommand({ QueueName: 'jobs' }))).QueueUrl!;

    // Assess
    expect(after.server.restoredMessages).toBe(4);
    expect(await counts(after.sqs, QueueUrl)).toEqual({ visible: 2, inFlight: 1, delayed: 1 });
  });

  it('keeps a message moved to the DLQ in the DLQ across a restart', async () => {
    const dataDir = tempDir();
    const before = await boot(dataDir);
    const dlq = (await before.sqs.send(new CreateQueueCommand({ QueueName: 'dead' }))).QueueUrl!;
    const dlqArn = (await before.sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    const QueueUrl = (await before.sqs.send(new CreateQueueCommand({ QueueName: 'src', Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 1 }) } }))).QueueUrl!;
    await before.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'poison' }));
    await before.sqs.send(new ReceiveMessageCommand({ QueueUrl, VisibilityTimeout: 0 }));
    expect((await before.sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages).toBeUndefined();
    await before.server.close();

    const after = await boot(dataDir);
    const restoredDlq = (await after.sqs.send(new GetQueueUrlCommand({ QueueName: 'dead' }))).QueueUrl!;
    const restoredSrc = (await after.sqs.send(new GetQueueUrlCommand({ QueueName: 'src' }))).QueueUrl!;
    expect(await counts(after.sqs, restoredSrc)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const dead = await after.sqs.send(new ReceiveMessageCommand({ QueueUrl: restoredDlq, MessageSystemAttributeNames: ['All'] }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['poison']);
    expect(dead.Messages?.[0]?.Attributes?.DeadLetterQueueSourceArn).toContain(':src');
  });

  it("keeps a FIFO queue's deduplication window, group order and group lock across a restart, clean or not", async () => {
    // Prepare: group A has a1 in flight and a2, a3 waiting; b1 waits in group B.
    const clock = new ManualClock(Date.parse('2026-06-01T09:00:00Z'));
    const dataDir = tempDir();
    const before = await boot(dataDir, clock);
    const QueueUrl = (await before.sqs.send(new CreateQueueCommand({ QueueName: 'orders.fifo', Attributes: { FifoQueue: 'true' } }))).QueueUrl!;
    const sent = new Map<string, string>();
    for (const [body, group] of [['a1', 'A'], ['a2', 'A'], ['a3', 'A'], ['b1', 'B']] as const) {
      const { MessageId } = await before.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body, MessageGroupId: group, MessageDeduplicationId: `dedup-${body}` }));
      sent.set(body, MessageId!);
    }
    const held = await before.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }));
    const crashed = tempDir();
    copyFileSync(join(dataDir, 'journal.jsonl'), join(crashed, 'journal.jsonl'));
    await before.server.close();

    // Act: the clean restart reads the compacted journal, the crashed one the appended lines.
    const clean = await boot(dataDir, clock);
    const retryAfterClean = await clean.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a2', MessageGroupId: 'A', MessageDeduplicationId: 'dedup-a2' }));
    await clean.server.close();
    const after = await boot(crashed, clock);
    const retry = await after.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a2', MessageGroupId: 'A', MessageDeduplicationId: 'dedup-a2' }));
    const whileALocked = await after.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }));
    for (const m of whileALocked.Messages ?? []) await after.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle! }));
    clock.advance(60_000);
    const afterLock = await after.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }));
    clock.advance(240_000);
    const afterInterval = await after.sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: 'a2', MessageGroupId: 'A', MessageDeduplicationId: 'dedup-a2' }));

    // Assess
    expect(held.Messages?.map((m) => m.Body)).toEqual(['a1']);
    expect(retryAfterClean.MessageId).toBe(sent.get('a2'));
    expect(retry.MessageId).toBe(sent.get('a2'));
    expect(whileALocked.Messages?.map((m) => m.Body)).toEqual(['b1']);
    expect(afterLock.Messages?.map((m) => m.Body)).toEqual(['a1', 'a2', 'a3']);
    expect(afterLock.Messages?.map((m) => m.Attributes?.ApproximateReceiveCount)).toEqual(['2', '1', '1']);
    // The window is five minutes from the first send, counted on the same clock across the restart.
    expect(afterInterval.MessageId).not.toBe(sent.get('a2'));
  });
});
