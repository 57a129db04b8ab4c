import { requireSetting, type ConveyorConfig } from '../../shared/config/env.js';
import { queueSettingsOf } from '../../shared/jobs/derived.js';
import type { JobRegistry, JobType, PayloadOf } from '../../shared/jobs/registry.js';
import { providerLimits, type ProviderLimit } from '../../shared/jobs/rate-limits.js';
import { createLogger } from '../../shared/logging/logger.js';
import { noJobMetrics, type JobMetrics } from '../../shared/ports/job-metrics.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RateLimiter } from '../../shared/ports/rate-limiter.js';
import type { AwsClients } from '../adapters/aws/clients.js';
import { DynamoSideEffectLedger } from '../adapters/aws/dynamo-side-effects.js';
import { EmfJobMetrics } from '../adapters/aws/emf-job-metrics.js';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.js';
import { SesMailer } from '../adapters/aws/ses-mailer.js';
import type { EmailHandlerDeps } from '../jobs/email/handler.js';
import type { JobHandlerDeps, JobHandlers } from '../jobs/index.js';
import type { PdfHandlerDeps } from '../jobs/pdf/handler.js';
import { withProviderThrottle, type BatchHandler } from '../scheduling/provider-throttle.js';
import { withDeadLetterIndex } from '../worker/dead-letter-tracking.js';
import { JobWorker } from '../worker/job-worker.js';
import { createCoreClients, createDeadLetterIndex, createJobQueue, createJobStore, withWebhooks, type CoreClients } from '../wiring.js';

/**
 * Composition root of the consumer functions (functions/entry/worker-*.ts) and the local cloud's
 * pollers. It takes the job's own definition, not the registry: a consumer then bundles and builds
 * only its own payload schema.
 */

/** The e-mail handler's ports: SES behind the Mailer, the side-effect ledger on the job table, the configured sender. */
export function emailHandlerDeps(config: ConveyorConfig, clients: Pick<AwsClients, 'dynamo' | 'ses'>): EmailHandlerDeps {
  return {
    mailer: new SesMailer({ client: clients.ses, ...(config.CONVEYOR_SES_CONFIGURATION_SET ? { configurationSetName: config.CONVEYOR_SES_CONFIGURATION_SET } : {}) }),
    ledger: new DynamoSideEffectLedger({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    sender: requireSetting(config, 'CONVEYOR_EMAIL_FROM', 'the email worker'),
  };
}

/** The PDF handler's ports: S3 behind the BlobStore, the job store to read analysis jobs. */
export function pdfHandlerDeps(config: ConveyorConfig, clients: Pick<AwsClients, 'dynamo' | 's3'>): PdfHandlerDeps {
  return {
    blobs: new S3BlobStore({ client: clients.s3, bucket: requireSetting(config, 'CONVEYOR_BUCKET_NAME', 'the pdf worker') }),
    store: createJobStore(config, clients),
  };
}

/** Everything the job handlers need, for a process that runs them all (the local cloud). */
export function jobHandlerDeps(config: ConveyorConfig, clients: AwsClients): JobHandlerDeps {
  return { email: emailHandlerDeps(config, clients), pdf: pdfHandlerDeps(config, clients) };
}

export function buildJobWorker<K extends JobType>(
  definition: JobRegistry[K],
  handler: JobHandlers[K],
  config: ConveyorConfig,
  clients: CoreClients = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: `worker-${definition.type}` }),
): JobWorker<PayloadOf<K>> {
  const deadLetters = createDeadLetterIndex(config, clients, queueSettingsOf(definition).dlqRetentionSeconds);
  return new JobWorker<PayloadOf<K>>(definition, handler, {
    store: withWebhooks(withDeadLetterIndex(createJobStore(config, clients), deadLetters), config, clients, logger),
    queue: createJobQueue(config, clients),
    logger,
    timeoutMarginMs: config.CONVEYOR_TIMEOUT_MARGIN_MS,
    metrics: createJobMetrics(config),
  });
}

/** Job outcome metrics: EMF lines on AWS (the stack sets CONVEYOR_METRICS=emf), nothing locally. */
export function createJobMetrics(config: ConveyorConfig): JobMetrics {
  return config.CONVEYOR_METRICS === 'emf' ? new EmfJobMetrics({ stage: config.CONVEYOR_STAGE }) : noJobMetrics;
}

/**
 * The consumer Lambda's handler for a job type: the worker, behind its provider's rate limit when
 * the type has one and the limiter is on. The limiter comes from the caller (roots/rate-limits.ts),
 * so that consumers without a provider limit never bundle the Upstash client.
 */
export function buildConsumerHandler<K extends JobType>(
  definition: JobRegistry[K],
  handler: JobHandlers[K],
  config: ConveyorConfig,
  clients: CoreClients = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: `worker-${definition.type}` }),
  options: { limiter: RateLimiter; providerLimit?: ProviderLimit },
): BatchHandler {
  const worker = buildJobWorker<K>(definition, handler, config, clients, logger);
  const { limiter } = options;
  const limit = options.providerLimit ?? providerLimits[definition.type];
  if (!limit || !limiter.enabled) return worker.handler;
  return withProviderThrottle(worker.handler, { limiter, limit, queue: createJobQueue(config, clients), logger });
}
