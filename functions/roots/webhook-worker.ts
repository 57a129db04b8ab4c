import type { ConveyorConfig } from '../../shared/config/env.js';
import { ConfigurationError } from '../../shared/domain/errors.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { AwsClients } from '../adapters/aws/clients.js';
import { awsClientSettings, createSqsClient } from '../adapters/aws/clients.js';
import { SqsWebhookQueue } from '../adapters/aws/sqs-webhook-queue.js';
import { webhookSettings } from '../scheduling/wiring.js';
import { deliver } from '../webhooks/delivery.js';
import { webhookWorker, type WebhookWorkerDeps } from '../webhooks/webhook-worker.js';

/**
 * Composition root of the webhook consumer: signed POSTs to callback URLs, retried with backoff,
 * public addresses only. It reads no table, so it gets the SQS client alone.
 */
export function buildWebhookWorker(
  config: ConveyorConfig,
  clients: Pick<AwsClients, 'sqs'> = { sqs: createSqsClient(awsClientSettings(config)) },
  logger: Logger = createLogger(config, { fn: 'webhooks' }),
  options: Pick<WebhookWorkerDeps, 'maxAttempts' | 'backoff'> = {},
) {
  const settings = webhookSettings(config);
  if (!settings) throw new ConfigurationError('webhook worker: CONVEYOR_WEBHOOK_QUEUE_URL and CONVEYOR_WEBHOOK_SECRET are required');
  const queue = new SqsWebhookQueue({ client: clients.sqs, queueUrl: settings.queueUrl });
  return webhookWorker({ deliver: (delivery) => deliver(delivery, { secret: settings.secret, policy: settings.policy }), queue, logger, ...options });
}
