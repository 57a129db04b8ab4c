import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { sqsFailure } from './sdk-errors.js';
import { correlationAttributes, splitCorrelation } from './sqs-attributes.js';
import type { WebhookDelivery } from '../../webhooks/delivery.js';
import type { WebhookOutbox } from '../../webhooks/outbox.js';
import type { WebhookRetryQueue } from '../../webhooks/webhook-worker.js';

/** The webhook delivery queue: the outbox terminal transitions write to, and the consumer's retries. */
export class SqsWebhookQueue implements WebhookOutbox, WebhookRetryQueue {
  constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  async enqueue(delivery: WebhookDelivery): Promise<void> {
    try {
      const { body, correlationId } = splitCorrelation(delivery);
      await this.options.client.send(new SendMessageCommand({ QueueUrl: this.options.queueUrl, MessageBody: JSON.stringify(body), ...correlationAttributes(correlationId) }));
    } catch (error) {
      throw sqsFailure('webhook enqueue', error, this.options.queueUrl);
    }
  }

  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    await this.options.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }));
  }
}
