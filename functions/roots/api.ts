import type { Hono } from 'hono';
import type { ConveyorConfig } from '../../shared/config/env.js';
import { createInvocations } from '../../shared/logging/invocation.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RateLimiter } from '../../shared/ports/rate-limiter.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import type { AwsClients } from '../adapters/aws/clients.js';
import { DynamoApiKeys } from '../adapters/aws/dynamo-api-keys.js';
import { DynamoIdempotencyStore } from '../adapters/aws/dynamo-idempotency-store.js';
import { DynamoNotificationStore } from '../adapters/aws/dynamo-notifications.js';
import { PageCursors, tableCursorKey } from '../adapters/aws/page-cursor.js';
import { S3BlobStore } from '../adapters/aws/s3-blob-store.js';
import { currentTracer } from '../adapters/aws/tracing.js';
import { buildAdminDeps } from '../admin-wiring.js';
import { createApiApp } from '../api/app.js';
import { BatchEnqueuer, type BatchEnqueuerDeps } from '../api/batch-enqueue.js';
import { DownloadLinks } from '../api/download-links.js';
import { JobService } from '../api/job-service.js';
import type { ApiEnv } from '../api/middleware.js';
import { createReleaseScheduler, tenantEnqueueRule, webhookSettings } from '../scheduling/wiring.js';
import { createRateLimiter } from './rate-limits.js';
import { createBlobClients, createFollowUpFlusher, createJobData, createJobQueue, createJobStore, createTenantActivity, type CoreClients } from '../wiring.js';
import { parentSender } from '../flows/send-parent.js';

/** Composition root of the API function (functions/entry/api.ts) and of the local cloud's API. */
export function buildApiApp(
  config: ConveyorConfig,
  clients: CoreClients & Partial<Pick<AwsClients, 's3'>> = createBlobClients(config),
  logger: Logger = createLogger(config, { fn: 'api' }),
  {
    limiter = createRateLimiter(config),
    scheduler = createReleaseScheduler(config),
    queue = createJobQueue(config, clients),
  }: { limiter?: RateLimiter; scheduler?: ReleaseScheduler | undefined; queue?: BatchEnqueuerDeps['queue'] } = {},
): Hono<ApiEnv> {
  const store = createJobStore(config, clients);
  // Cancelling a queued job writes a terminal state: the API flushes its webhook as the worker would,
  // and counts a cancelled flow child on its parent (sending the parent when it was the last).
  const followUps = createFollowUpFlusher(store, config, clients, logger, parentSender({ store, queue, logger }));
  const keys = new DynamoApiKeys({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const idempotency = new DynamoIdempotencyStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const webhookPolicy = webhookSettings(config)?.policy;
  // Tenants are noted before their records: the recovery sweep finds a record whose send never happened.
  const activity = createTenantActivity(config, clients);
  const jobData = createJobData(config, clients, logger);
  const enqueue = { store, queue, logger, idempotency, scheduler, webhookPolicy, followUps, activity, jobData };
  // One cursor key per instance for every listing (jobs, dead letters, notifications).
  const cursors = new PageCursors(tableCursorKey(clients.dynamo, config.CONVEYOR_TABLE_NAME));
  return createApiApp({
    jobs: new JobService(enqueue),
    batch: new BatchEnqueuer(enqueue),
    keys,
    logger,
    stage: config.CONVEYOR_STAGE,
    invocations: createInvocations(config),
    tracer: currentTracer(),
    enqueueLimit: { limiter, rule: tenantEnqueueRule(config), logger },
    admin: buildAdminDeps(config, clients, { store, queue, logger, followUps, cursors, jobData }),
    ...(jobData ? { jobData } : {}),
    notifications: new DynamoNotificationStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME, cursors }),
    ...(config.CONVEYOR_BUCKET_NAME && clients.s3
      ? { downloads: new DownloadLinks({ blobs: new S3BlobStore({ client: clients.s3, bucket: config.CONVEYOR_BUCKET_NAME }), ttlSeconds: config.CONVEYOR_DOWNLOAD_URL_TTL_SECONDS }) }
      : {}),
  });
}
