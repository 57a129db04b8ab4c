import { ChangeMessageVisibilityCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { RedriveNudge, RedriveNudges } from '../../../shared/ports/redrive-tasks.js';

/** The redrive queue: one message drives a task at a time (functions/redrive/redrive-runner.ts). */
export class SqsRedriveNudges implements RedriveNudges {
  constructor(private readonly options: { client: SQSClient; queueUrl: string }) {}

  async send(nudge: RedriveNudge, options: { delaySeconds?: number } = {}): Promise<void> {
    try {
      await this.options.client.send(new SendMessageCommand({
        QueueUrl: this.options.queueUrl,
        MessageBody: JSON.stringify(nudge),
        // SQS allows 0–900 s (SendMessage DelaySeconds).
        ...(options.delaySeconds ? { DelaySeconds: Math.min(900, Math.max(0, Math.round(options.delaySeconds))) } : {}),
      }));
    } catch (error) {
      throw new DependencyUnavailableError('sqs', `redrive nudge send failed — ${String(error)}`, { cause: error });
    }
  }

  async retryAfter(receiptHandle: string, seconds: number): Promise<void> {
    // 0–43,200 s (ChangeMessageVisibility VisibilityTimeout).
    await this.options.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: Math.min(43_200, Math.max(0, Math.ceil(seconds))) }));
  }
}
