import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { WEBHOOK_RETRY } from '../shared/domain/retry.js';

/** The local development signing secret (printed by `npm start`; on AWS it comes from Secrets Manager). */
export const LOCAL_WEBHOOK_SECRET = 'whsec_local_development_only';
/** Locally, callbacks to this machine are allowed (on AWS the allow-list is empty). */
export const LOCAL_WEBHOOK_ALLOW_HOSTS = '127.0.0.1,localhost,::1';

/** The webhook delivery queue and its DLQ: a message gets `maxAttempts` deliveries, then waits in the DLQ. */
export async function ensureWebhookQueue(client: SQSClient, stage: string, maxAttempts: number = WEBHOOK_RETRY.maxAttempts): Promise<{ url: string; arn: string }> {
  const dlqUrl = (await client.send(new CreateQueueCommand({ QueueName: `conveyor-${stage}-webhooks-dlq`, Attributes: { MessageRetentionPeriod: String(14 * 86_400) } }))).QueueUrl!;
  const dlqArn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const url = (await client.send(
    new CreateQueueCommand({
      QueueName: `conveyor-${stage}-webhooks`,
      Attributes: {
        // Six times the consumer's 10 s timeout, as for job queues; a POST times out after 5 s.
        VisibilityTimeout: '60',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: maxAttempts }),
      },
    }),
  )).QueueUrl!;
  const arn = (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  return { url, arn };
}
