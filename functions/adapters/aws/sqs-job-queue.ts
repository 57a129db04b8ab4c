import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type MessageAttributeValue, type SQSClient } from '@aws-sdk/client-sqs';
import { ConfigurationError, DependencyRequestError, type ConveyorError } from '../../../shared/domain/errors.js';
import { sqsFailure } from './sdk-errors.js';
import { correlationAttributes, splitCorrelation } from './sqs-attributes.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { deadLetterQueueName } from '../../../shared/jobs/derived.js';
import { queueKey } from '../../../shared/jobs/priority.js';

export interface SqsJobQueueOptions {
  readonly client: SQSClient;
  /** Job type → queue URL. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

/** JobQueue on one standard SQS queue per job type (and its priority lanes), with the type's DLQ. */
export class SqsJobQueue implements ConsumerQueue {
  readonly #client: SQSClient;
  readonly #queueUrls: Readonly<Record<string, string>>;

  constructor(options: SqsJobQueueOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async send(message: JobMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const queueUrl = this.routeOf(message);
    const { body, correlationId } = splitCorrelation(message);
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(body),
          ...correlationAttributes(correlationId),
          ...(options.delaySeconds ? { DelaySeconds: options.delaySeconds } : {}),
        }),
      );
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
  async deadLetter(type: string, body: string): Promise<void> {
    try {
      await this.#client.send(new SendMessageCommand({ QueueUrl: this.deadLetterQueueUrlOf(type), MessageBody: body }));
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
   * Sends many messages with SendMessageBatch, 10 per call and one call per destination queue.
   * Returns the indexes that failed (a whole chunk when its call failed); never throws.
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
    const calls: Promise<void>[] = [];
    for (const [queueUrl, indexes] of byQueue) {
      for (let i = 0; i < indexes.length; i += 10) {
        const chunk = indexes.slice(i, i + 10);
        calls.push(
          this.#client
            .send(
              new SendMessageBatchCommand({
                QueueUrl: queueUrl,
                Entries: chunk.map((index) => ({
                  Id: String(index),
                  ...bodyAndAttributes(entries[index]!.message),
                  ...(entries[index]!.delaySeconds ? { DelaySeconds: entries[index]!.delaySeconds } : {}),
                })),
              }),
            )
            .then(
              (output) => {
                for (const failure of output.Failed ?? []) failed.add(Number(failure.Id));
              },
              () => {
                for (const index of chunk) failed.add(index);
              },
            ),
        );
      }
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

/** An entry's body and, beside it, its correlation id as a message attribute. */
function bodyAndAttributes(message: JobMessage): { MessageBody: string; MessageAttributes?: Record<string, MessageAttributeValue> } {
  const { body, correlationId } = splitCorrelation(message);
  return { MessageBody: JSON.stringify(body), ...correlationAttributes(correlationId) };
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return sqsFailure(`queue ${operation}`, error);
}
