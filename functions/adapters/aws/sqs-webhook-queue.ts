import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { WebhookDelivery } from '../../webhooks/delivery.js';
import type { WebhookOutbox } from '../../webhooks/outbox.js';
import type { WebhookRetryQueue } from '../../webhooks/webhook-worker.js';

/** The webhook delivery queue: the outbox terminal transitions write to, and the consumer's retries. */
export class SqsWebhookQueue implements WebhookOutbox, WebhookRetryQueue {
  constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  async enqueue(delivery: WebhookDelivery): Promise<void> {
    try {
      await this.options.client.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify(delivery) }));
    } catch (error) {
      throw new DependencyUnavailableError('sqs', `webhook enqueue failed — ${String(error)}`, { cause: error });
    }
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.options.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  }
}
