import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import { priorityOf, queueKey } from '../../../shared/jobs/priority.js';

export interface SqsJobQueueOptions {
  readonly client: SQSClient;
  /** Job type → queue URL. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

/** JobQueue on one standard SQS queue per job type. */
export class SqsJobQueue implements JobQueue {
  readonly #client: SQSClient;
  readonly #queueUrls: Readonly<Record<string, string>>;

  constructor(options: SqsJobQueueOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async send(message: JobMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const queueUrl = this.routeOf(message);
    try {
      await this.#client.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: JSON.stringify(message),
          ...(options.delaySeconds ? { DelaySeconds: options.delaySeconds } : {}),
        }),
      );
    } catch (error) {
      throw unavailable('send', error);
    }
  }

  async changeVisibility(type: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<void> {
    try {
      await this.#client.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.queueUrlOf(type),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      throw unavailable('changeVisibility', error);
    }
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
                  MessageBody: JSON.stringify(entries[index]!.message),
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
    return this.#queueUrls[queueKey(message.type, priorityOf(message.payload))] ?? this.queueUrlOf(message.type);
  }

  queueUrlOf(type: string): string {
    const url = this.#queueUrls[type];
    if (!url) throw new DependencyUnavailableError('sqs', `no queue configured for job type "${type}"`);
    return url;
  }
}

function unavailable(operation: string, error: unknown): DependencyUnavailableError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new DependencyUnavailableError('sqs', `queue ${operation} failed — ${reason}`, { cause: error });
}
