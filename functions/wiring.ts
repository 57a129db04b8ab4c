import type { Hono } from 'hono';
import { ConfigurationError } from '../shared/domain/errors.js';
import { endpointsOf, requireSetting, type ConveyorConfig } from '../shared/config/env.js';
import type { JobType, PayloadOf } from '../shared/jobs/registry.js';
import { getJobDefinition } from '../shared/jobs/registry.js';
import { JsonLogger } from '../shared/logging/logger.js';
import type { Logger } from '../shared/ports/logger.js';
import { createApiApp } from './api/app.js';
import { JobService } from './api/job-service.js';
import { BatchEnqueuer } from './api/batch-enqueue.js';
import type { ApiEnv } from './api/middleware.js';
import { createDynamoClient, createS3Client, createSesClient, createSqsClient, type AwsClients } from './adapters/aws/clients.js';
import { DynamoApiKeys } from './adapters/aws/dynamo-api-keys.js';
import { DynamoIdempotencyStore } from './adapters/aws/dynamo-idempotency-store.js';
import { DynamoJobStore } from './adapters/aws/dynamo-job-store.js';
import { DynamoSideEffectLedger } from './adapters/aws/dynamo-side-effects.js';
import { SesMailer } from './adapters/aws/ses-mailer.js';
import { SqsJobQueue } from './adapters/aws/sqs-job-queue.js';
import { buildAdminDeps, withDeadLetterTracking } from './admin-wiring.js';
import { DownloadLinks } from './api/download-links.js';
import { S3BlobStore } from './adapters/aws/s3-blob-store.js';
import type { EmailHandlerDeps } from './jobs/email/handler.js';
import type { PdfHandlerDeps } from './jobs/pdf/handler.js';
import type { JobHandlerDeps, JobHandlers } from './jobs/index.js';
import { JobWorker } from './worker/job-worker.js';
import { providerLimits, type ProviderLimit } from '../shared/jobs/rate-limits.js';
import type { RateLimiter } from '../shared/ports/rate-limiter.js';
import { withProviderThrottle, type BatchHandler } from './scheduling/provider-throttle.js';
import { createRateLimiter, createReleaseScheduler, tenantEnqueueRule, webhookSettings } from './scheduling/wiring.js';
import { SqsWebhookQueue } from './adapters/aws/sqs-webhook-queue.js';
import { withCompletionWebhooks } from './webhooks/completion-hooks.js';
import { deliver } from './webhooks/delivery.js';
import { webhookWorker, type WebhookWorkerDeps } from './webhooks/webhook-worker.js';
import type { JobStore } from '../shared/ports/job-store.js';
import type { ReleaseScheduler } from '../shared/ports/release-scheduler.js';
import { ScheduledJobReleaser } from './scheduling/release.js';
import { recurringJobs, type RecurringJobDefinition } from '../shared/jobs/recurring.js';
import { RecurringJobRunner } from './scheduling/recurring.js';
import { schedulerTarget } from './scheduling/scheduler-target.js';

/**
 * Composition root: config in, ports wired to AWS adapters out. Lambda entries and the local cloud
 * both build through here, so the code that runs locally is the code that runs on AWS.
 */
export function createClients(config: ConveyorConfig): AwsClients {
  const settings = { region: config.AWS_REGION, endpoints: endpointsOf(config) };
  // SDK clients connect lazily: building the SES and S3 clients costs a function that never uses them nothing.
  return { dynamo: createDynamoClient(settings), sqs: createSqsClient(settings), ses: createSesClient(settings), s3: createS3Client(settings) };
}

/** The e-mail handler's ports: SES behind the Mailer, the side-effect ledger on the job table, the configured sender. */
export function emailHandlerDeps(config: ConveyorConfig, clients: AwsClients): EmailHandlerDeps {
  return {
    mailer: new SesMailer({ client: clients.ses, ...(config.CONVEYOR_SES_CONFIGURATION_SET ? { configurationSetName: config.CONVEYOR_SES_CONFIGURATION_SET } : {}) }),
    ledger: new DynamoSideEffectLedger({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    sender: requireSetting(config, 'CONVEYOR_EMAIL_FROM', 'the email worker'),
  };
}

/** The PDF handler's ports: S3 behind the BlobStore, the job store to read analysis jobs. */
export function pdfHandlerDeps(config: ConveyorConfig, clients: AwsClients): PdfHandlerDeps {
  return {
    blobs: new S3BlobStore({ client: clients.s3, bucket: requireSetting(config, 'CONVEYOR_BUCKET_NAME', 'the pdf worker') }),
    store: new DynamoJobStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
  };
}

/** Everything the job handlers need, for a process that runs them all (the local cloud). */
export function jobHandlerDeps(config: ConveyorConfig, clients: AwsClients): JobHandlerDeps {
  return { email: emailHandlerDeps(config, clients), pdf: pdfHandlerDeps(config, clients) };
}

export function createLogger(config: ConveyorConfig, fields: Record<string, unknown> = {}): Logger {
  return new JsonLogger({ level: config.LOG_LEVEL, fields: { stage: config.CONVEYOR_STAGE, ...fields } });
}

export function buildApiApp(
  config: ConveyorConfig,
  clients = createClients(config),
  logger = createLogger(config, { fn: 'api' }),
  { limiter = createRateLimiter(config), scheduler = createReleaseScheduler(config) }: { limiter?: RateLimiter; scheduler?: ReleaseScheduler | undefined } = {},
): Hono<ApiEnv> {
  const store = withWebhooks(new DynamoJobStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }), config, clients, logger);
  const queue = new SqsJobQueue({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
  const keys = new DynamoApiKeys({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const idempotency = new DynamoIdempotencyStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const jobs = new JobService({ store, queue, logger, idempotency, scheduler, webhookPolicy: webhookSettings(config)?.policy });
  return createApiApp({
    jobs,
    batch: new BatchEnqueuer({ jobs, store, queue, logger, scheduler, webhookPolicy: webhookSettings(config)?.policy }),
    keys,
    logger,
    stage: config.CONVEYOR_STAGE,
    enqueueLimit: { limiter, rule: tenantEnqueueRule(config), logger },
    admin: buildAdminDeps(config, clients, { store, queue, logger }),
    ...(config.CONVEYOR_BUCKET_NAME
      ? { downloads: new DownloadLinks({ blobs: new S3BlobStore({ client: clients.s3, bucket: config.CONVEYOR_BUCKET_NAME }), ttlSeconds: config.CONVEYOR_DOWNLOAD_URL_TTL_SECONDS }) }
      : {}),
  });
}

export function buildJobWorker<K extends JobType>(
  type: K,
  handler: JobHandlers[K],
  config: ConveyorConfig,
  clients = createClients(config),
  logger = createLogger(config, { fn: `worker-${type}` }),
): JobWorker<PayloadOf<K>> {
  const store = new DynamoJobStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const queue = new SqsJobQueue({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
  return new JobWorker<PayloadOf<K>>(getJobDefinition(type), handler, {
    store: withWebhooks(withDeadLetterTracking(store, config, clients), config, clients, logger),
    queue,
    logger,
    timeoutMarginMs: config.CONVEYOR_TIMEOUT_MARGIN_MS,
  });
}

/**
 * The consumer Lambda's handler for a job type: the worker, behind its provider's rate limit when
 * the type has one and a limiter is configured.
 */
export function buildConsumerHandler<K extends JobType>(
  type: K,
  handler: JobHandlers[K],
  config: ConveyorConfig,
  clients = createClients(config),
  logger = createLogger(config, { fn: `worker-${type}` }),
  options: { limiter?: RateLimiter; providerLimit?: ProviderLimit } = {},
): BatchHandler {
  const worker = buildJobWorker(type, handler, config, clients, logger);
  const limiter = options.limiter ?? createRateLimiter(config);
  const limit = options.providerLimit ?? providerLimits[type];
  if (!limit || !limiter.enabled) return worker.handler;
  const queue = new SqsJobQueue({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
  return withProviderThrottle(worker.handler, { limiter, limit, queue, logger });
}

/**
 * The EventBridge Scheduler target: releases held jobs and enqueues recurring ones (through the same
 * JobService as the API, idempotently per occurrence).
 */
export function buildSchedulerTarget(
  config: ConveyorConfig,
  clients = createClients(config),
  logger = createLogger(config, { fn: 'scheduler-target' }),
  { scheduler = createReleaseScheduler(config), definitions = recurringJobs }: { scheduler?: ReleaseScheduler | undefined; definitions?: readonly RecurringJobDefinition[] } = {},
) {
  const store = new DynamoJobStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const queue = new SqsJobQueue({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
  const idempotency = new DynamoIdempotencyStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const releaser = new ScheduledJobReleaser({ store, queue, logger });
  const recurring = new RecurringJobRunner({ jobs: new JobService({ store, queue, logger, idempotency, scheduler }), definitions, logger });
  return { releaser, recurring, handler: schedulerTarget({ releaser, recurring }) };
}

/** A store whose terminal transitions queue completion webhooks, when webhooks are configured. */
function withWebhooks(store: JobStore, config: ConveyorConfig, clients: AwsClients, logger: Logger): JobStore {
  const settings = webhookSettings(config);
  return settings ? withCompletionWebhooks(store, new SqsWebhookQueue({ client: clients.sqs, queueUrl: settings.queueUrl }), logger) : store;
}

/** The webhook consumer: signed POSTs to callback URLs, retried with backoff, public addresses only. */
export function buildWebhookWorker(
  config: ConveyorConfig,
  clients = createClients(config),
  logger = createLogger(config, { fn: 'webhooks' }),
  options: Pick<WebhookWorkerDeps, 'maxAttempts' | 'backoff'> = {},
) {
  const settings = webhookSettings(config);
  if (!settings) throw new ConfigurationError('webhook worker: CONVEYOR_WEBHOOK_QUEUE_URL and CONVEYOR_WEBHOOK_SECRET are required');
  const queue = new SqsWebhookQueue({ client: clients.sqs, queueUrl: settings.queueUrl });
  return webhookWorker({ deliver: (delivery) => deliver(delivery, { secret: settings.secret, policy: settings.policy }), queue, logger, ...options });
}
