import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigurationError, DependencyRequestError, type ConveyorError } from '../../../shared/domain/errors.js';
import { sqsFailure } from './sdk-errors.js';
import { correlationAttributes } from './sqs-attributes.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import type { ConsumerQueue, DeadLetterOptions } from '../../../shared/ports/job-queue.js';
import { deadLetterQueueName, isFifoQueue } from '../../../shared/jobs/derived.js';
import { queueKey } from '../../../shared/jobs/priority.js';

export interface SqsJobQueueOptions {
  readonly client: SQSClient;
  /** Job type → queue URL. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

/**
 * JobQueue on one SQS queue per job type (and its priority lanes), with the type's DLQ. Every message
 * carries its group as MessageGroupId: on a FIFO queue (told by its `.fifo` name) that is its ordering
 * group, with `<jobId>:<generation>` as deduplication id; on a standard queue it makes the queue a fair
 * queue ("In standard queues, using MessageGroupId enables fair queues", SQS message quotas).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
export class SqsJobQueue implements ConsumerQueue {
  readonly #client: SQSClient;
  readonly #queueUrls: Readonly<Record<string, string>>;

  constructor(options: SqsJobQueueOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async send(message: JobMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const queueUrl = this.routeOf(message);
    try {
      await this.#client.send(new SendMessageCommand({ QueueUrl: queueUrl, ...sendParameters(queueUrl, message, options.delaySeconds) }));
    } catch (error) {
      throw unavailable('send', error);
    }
  }

  async changeVisibility(type: string, receiptHandle: string, visibilityTimeoutSeconds: number, sourceArn?: string): Promise<void> {
    try {
      await this.#client.send(
        new ChangeMessageVisibilityCommand({
          // A receipt handle is valid only on the queue that issued it: on AWS one consumer reads all of
          // its type's priority lanes, so the type's (normal) queue would answer ReceiptHandleIsInvalid.
          QueueUrl: sourceArn ? this.queueUrlOfArn(sourceArn) : this.queueUrlOf(type),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      throw unavailable('changeVisibility', error);
    }
  }

  /**
   * Sends a DEAD job's message body to its type's DLQ, found by name from the type's queue URL (the
   * lanes of a prioritized type share it; `resourceNames` names both, for the CDK and the local cloud).
   */
  async deadLetter(type: string, body: string, options: DeadLetterOptions = {}): Promise<void> {
    try {
      const queueUrl = this.deadLetterQueueUrlOf(type);
      const fifo = isFifoQueue(queueUrl);
      if (fifo && (!options.group || !options.deduplicationId)) throw new Error('a FIFO dead-letter queue needs the message\'s group and a deduplication id');
      await this.#client.send(new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: body,
        ...(options.group ? { MessageGroupId: options.group } : {}),
        ...(fifo ? { MessageDeduplicationId: options.deduplicationId } : {}),
      }));
    } catch (error) {
      throw unavailable('deadLetter', error);
    }
  }

  deadLetterQueueUrlOf(type: string): string {
    const url = new URL(this.queueUrlOf(type));
    const path = url.pathname.split('/');
    path[path.length - 1] = deadLetterQueueName(path[path.length - 1]!);
    url.pathname = path.join('/');
    return url.toString();
  }

  /**
   * Sends many messages with SendMessageBatch, 10 per call and one call per destination queue; on a
   * FIFO queue in `entries` order. Returns the indexes that failed (a whole chunk when its call failed);
   * never throws.
   */
  async sendBatch(entries: readonly { message: JobMessage; delaySeconds?: number }[]): Promise<Set<number>> {
    const failed = new Set<number>();
    const byQueue = new Map<string, number[]>();
    entries.forEach((entry, index) => {
      try {
        const url = this.routeOf(entry.message);
        byQueue.set(url, [...(byQueue.get(url) ?? []), index]);
      } catch {
        failed.add(index);
      }
    });
    const sendChunk = (queueUrl: string, chunk: number[]): Promise<void> =>
      this.#client
        .send(
          new SendMessageBatchCommand({
            QueueUrl: queueUrl,
            Entries: chunk.map((index) => ({ Id: String(index), ...sendParameters(queueUrl, entries[index]!.message, entries[index]!.delaySeconds) })),
          }),
        )
        .then(
          (output) => {
            for (const failure of output.Failed ?? []) failed.add(Number(failure.Id));
          },
          () => {
            for (const index of chunk) failed.add(index);
          },
        );
    const calls: Promise<void>[] = [];
    for (const [queueUrl, indexes] of byQueue) {
      const chunks: number[][] = [];
      for (let i = 0; i < indexes.length; i += 10) chunks.push(indexes.slice(i, i + 10));
      // A FIFO queue keeps send order within a group, and a batch's entries in their order: its chunks go
      // one after another, so the entries' order is the enqueue order. Standard queues have no order to keep.
      if (isFifoQueue(queueUrl)) calls.push(chunks.reduce((previous, chunk) => previous.then(() => sendChunk(queueUrl, chunk)), Promise.resolve()));
      else calls.push(...chunks.map((chunk) => sendChunk(queueUrl, chunk)));
    }
    await Promise.all(calls);
    return failed;
  }

  /** A prioritized job goes to its priority's queue when one is configured (`<type>:high`, `<type>:low`). */
  routeOf(message: JobMessage): string {
    return this.#queueUrls[queueKey(message.type, message.priority ?? 'normal')] ?? this.queueUrlOf(message.type);
  }

  /**
   * The URL of the queue an SQS record came from (its eventSourceARN): a configured URL of that
   * queue when there is one (the local cloud's URLs differ from AWS's), else SQS's standard URL
   * `https://sqs.<region>.<domain>/<account>/<name>`.
   */
  queueUrlOfArn(arn: string): string {
    const [prefix, partition, service, region, account, name] = arn.split(':');
    if (prefix !== 'arn' || service !== 'sqs' || !partition || !region || !account || !name) {
      throw new DependencyRequestError('sqs', `"${arn}" is not an SQS queue ARN`);
    }
    const configured = Object.values(this.#queueUrls).find((url) => {
      const [, owner, queueName] = new URL(url).pathname.split('/');
      return queueName === name && owner === account;
    });
    return configured ?? `https://sqs.${region}.${partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'}/${account}/${name}`;
  }

  queueUrlOf(type: string): string {
    const url = this.#queueUrls[type];
    if (!url) throw new ConfigurationError(`no queue configured for job type "${type}" (CONVEYOR_QUEUE_URLS)`, { dependency: 'sqs' });
    return url;
  }
}

/**
 * What travels in the body: the message less its routing (the group goes as MessageGroupId) and its
 * correlation id (a message attribute).
 */
export function messageBody(message: JobMessage): string {
  const { group: _group, correlationId: _correlationId, ...body } = message;
  return JSON.stringify(body);
}

/**
 * The body, attributes and SQS parameters of a send. A FIFO queue dedupes by `<jobId>:<generation>`
 * (derived.ts says why) and takes no per-message delay: the API refuses a delayed FIFO job before
 * anything is sent, and a delay reaching here is a bug, refused by SQS.
 */
function sendParameters(queueUrl: string, message: JobMessage, delaySeconds: number | undefined): { MessageBody: string; MessageAttributes?: Record<string, MessageAttributeValue>; DelaySeconds?: number; MessageGroupId?: string; MessageDeduplicationId?: string } {
  return {
    MessageBody: messageBody(message),
    ...correlationAttributes(message.correlationId),
    ...(delaySeconds ? { DelaySeconds: delaySeconds } : {}),
    ...(message.group ? { MessageGroupId: message.group } : {}),
    ...(isFifoQueue(queueUrl) ? { MessageDeduplicationId: `${message.jobId}:${message.generation ?? 0}` } : {}),
  };
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return sqsFailure(`queue ${operation}`, error);
}
