import type { ConveyorConfig } from '../../shared/config/env.js';
import { ConfigurationError } from '../../shared/domain/errors.js';
import { createInvocations } from '../../shared/logging/invocation.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { AwsClients } from '../adapters/aws/clients.js';
import { awsClientSettings, createDynamoClient, createSqsClient } from '../adapters/aws/clients.js';
import { DynamoWebhookLog } from '../adapters/aws/dynamo-webhook-log.js';
import { SqsWebhookQueue } from '../adapters/aws/sqs-webhook-queue.js';
import { currentTracer } from '../adapters/aws/tracing.js';
import { webhookSettings } from '../scheduling/wiring.js';
import { deliver } from '../webhooks/delivery.js';
import { webhookWorker, type WebhookWorkerDeps } from '../webhooks/webhook-worker.js';

/** Reads the Secrets Manager secret named in CONVEYOR_WEBHOOK_SECRET_ID (functions/adapters/aws/webhook-secret.ts). */
export type WebhookSecretReader = (secretId: string) => Promise<string>;

/**
 * The signing key, once per cold start: plain CONVEYOR_WEBHOOK_SECRET (locally), else the secret named
 * in CONVEYOR_WEBHOOK_SECRET_ID (on AWS). Without either the consumer cannot sign: it fails to start.
 */
export async function loadWebhookSigningKey(config: ConveyorConfig, readSecret: WebhookSecretReader): Promise<string> {
  if (config.CONVEYOR_WEBHOOK_SECRET) return config.CONVEYOR_WEBHOOK_SECRET;
  if (config.CONVEYOR_WEBHOOK_SECRET_ID) return readSecret(config.CONVEYOR_WEBHOOK_SECRET_ID);
  throw new ConfigurationError('webhook worker: CONVEYOR_WEBHOOK_SECRET or CONVEYOR_WEBHOOK_SECRET_ID is required');
}

/**
 * Composition root of the webhook consumer: signed POSTs to callback URLs, retried with backoff,
 * public addresses only; each attempt recorded on the job's record (its webhook log).
 */
export function buildWebhookWorker(
  config: ConveyorConfig,
  signingKey: string,
  clients: Pick<AwsClients, 'sqs' | 'dynamo'> = { sqs: createSqsClient(awsClientSettings(config)), dynamo: createDynamoClient(awsClientSettings(config)) },
  logger: Logger = createLogger(config, { fn: 'webhooks' }),
  options: Pick<WebhookWorkerDeps, 'maxAttempts' | 'backoff'> = {},
) {
  const settings = webhookSettings(config);
  if (!settings) throw new ConfigurationError('webhook worker: CONVEYOR_WEBHOOK_QUEUE_URL is required');
  const queue = new SqsWebhookQueue({ client: clients.sqs, queueUrl: settings.queueUrl });
  const worker = webhookWorker({ deliver: (delivery) => deliver(delivery, { secret: signingKey, policy: settings.policy }), queue, logger, log: new DynamoWebhookLog({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }), tracer: currentTracer(), ...options });
  return createInvocations(config).wrap(worker);
}
