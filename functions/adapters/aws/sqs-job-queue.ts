import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
    // A prioritized job goes to its priority's queue when one is configured (`<type>:high`, `<type>:low`).
    const priorityKey = queueKey(message.type, priorityOf(message.payload));
    const queueUrl = this.#queueUrls[priorityKey] ?? this.queueUrlOf(message.type);
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
