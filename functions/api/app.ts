import { Hono } from 'hono';
import { ConfigurationError, ConveyorError, DependencyRequestError, DependencyUnavailableError, IdempotencyConflictError, JobFinishedError, JobNotEditableError, JobValidationError, PayloadTooLargeError } from '../../shared/domain/errors.js';
import type { ApiKeyResolver } from '../../shared/ports/api-keys.js';
import { LambdaInvocations } from '../../shared/logging/invocation.js';
import type { Logger } from '../../shared/ports/logger.js';
import { noTracer, type Tracer } from '../../shared/ports/tracer.js';
import { HttpError } from './http-errors.js';
import { buildOpenApiDocument, type OpenApiDocument } from './openapi.js';
import type { JobService } from './job-service.js';
import { jsonBody, requestScope, requireApiKey, requireScope, type ApiEnv } from './middleware.js';
import { jobAdminRoutes } from './routes/job-admin.js';
import type { DownloadLinks } from './download-links.js';
import { StoredDataMissingError, type JobData } from '../job-data/job-data.js';
import { jobRoutes } from './routes/jobs.js';
import type { EnqueueLimit } from './rate-limit.js';
import type { BatchEnqueuer } from './batch-enqueue.js';
import { BATCH_PATH, MAX_BATCH_BODY_BYTES, batchHandler } from './routes/batch.js';
import { queueRoutes, type QueueRouteDeps } from './routes/queues.js';
import { analyzeRoutes, queueHealthHandler } from './routes/analyze.js';
import { notificationRoutes } from './routes/notifications.js';
import type { NotificationStore } from '../../shared/ports/notifications.js';

export interface ApiDeps {
  readonly jobs: JobService;
  readonly keys: ApiKeyResolver;
  readonly logger: Logger;
  readonly stage: string;
  /** Per-tenant enqueue limit (off when absent or when the limiter is not configured). */
  readonly enqueueLimit?: EnqueueLimit;
  /** Bulk enqueue, `POST /v1/jobs:batch`. */
  readonly batch?: BatchEnqueuer;
  /** Listing and operator routes (queues, DLQ, redrive, retry); absent in apps built without them. */
  readonly admin?: QueueRouteDeps;
  /** Presigned downloads of job output files (PDFs); absent when no bucket is configured. */
  readonly downloads?: DownloadLinks;
  /** Payloads and results stored apart (S3), and their presigned URLs; absent when no job-data bucket is configured. */
  readonly jobData?: JobData;
  /** This function instance's invocations (cold start, debug sampling); a fresh one when absent. */
  readonly invocations?: LambdaInvocations;
  /** X-Ray: each request a subsegment annotated with its correlation id (none when absent). */
  readonly tracer?: Tracer;
  /** Users' notification inboxes and preferences (`/v1/notifications`). */
  readonly notifications?: NotificationStore;
}

/**
 * The HTTP API as a platform-neutral app: it speaks Request/Response and knows nothing of Lambda.
 * `functions/entry/api.ts` adapts it to API Gateway; the local cloud serves the same handler.
 */
export function createApiApp(deps: ApiDeps): Hono<ApiEnv> {
  const app = new Hono<ApiEnv>();

  app.use('*', requestScope(deps.invocations ?? new LambdaInvocations(), deps.logger, deps.tracer ?? noTracer));
  app.get('/v1/health', (c) => c.json({ status: 'ok', stage: deps.stage }));
  // The contract, public like the health check: generated from the schemas once per cold start, on first use.
  let openapi: OpenApiDocument | undefined;
  app.get('/v1/openapi.json', (c) => c.json((openapi ??= buildOpenApiDocument())));

  app.use('/v1/jobs', requireApiKey(deps.keys));
  app.use('/v1/jobs/*', requireApiKey(deps.keys));
  if (deps.batch) app.post(BATCH_PATH, requireApiKey(deps.keys), jsonBody(MAX_BATCH_BODY_BYTES), batchHandler(deps.batch, deps.enqueueLimit));
  app.route('/v1/jobs', jobRoutes(deps.jobs, { downloads: deps.downloads, limit: deps.enqueueLimit, jobData: deps.jobData }));
  // The analyze API: the same jobs, key, limit and idempotency as POST /v1/jobs.
  app.use('/v1/analyze', requireApiKey(deps.keys));
  app.use('/v1/analyze/*', requireApiKey(deps.keys));
  app.route('/v1/analyze', analyzeRoutes(deps.jobs, { limit: deps.enqueueLimit }));
  if (deps.admin) app.get('/queue/health', queueHealthHandler(deps.admin.queues, deps.logger));
  if (deps.notifications) {
    app.use('/v1/notifications', requireApiKey(deps.keys));
    app.use('/v1/notifications/*', requireApiKey(deps.keys));
    app.route('/v1/notifications', notificationRoutes(deps.notifications));
  }
  if (deps.admin) {
    app.route('/v1/jobs', jobAdminRoutes(deps.admin));
    // admin or operator here; the routes that span every tenant narrow it to operator (queues.ts).
    app.use('/v1/queues', requireApiKey(deps.keys), requireScope('admin', 'operator'));
    app.use('/v1/queues/*', requireApiKey(deps.keys), requireScope('admin', 'operator'));
    app.route('/v1/queues', queueRoutes(deps.admin));
  }

  app.notFound((c) => c.json(new HttpError(404, 'NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`).toBody(), 404));

  app.onError((error, c) => {
    const httpError = toHttpError(error);
    if (httpError.status >= 500) deps.logger.error('request failed', { method: c.req.method, path: c.req.path, code: httpError.code, error });
    for (const [name, value] of Object.entries(httpError.headers ?? {})) c.header(name, value);
    return c.json(httpError.toBody(), httpError.status);
  });

  return app;
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof JobValidationError) return new HttpError(400, error.code, error.message, error.issues);
  if (error instanceof PayloadTooLargeError) return new HttpError(413, error.code, error.message, error.issues);
  // A deployment fault (missing permission, queue, table…): retrying cannot help, so not a 503. The
  // details (ARNs, variable names) go to the error log, not to the caller.
  if (error instanceof ConfigurationError) return new HttpError(500, 'CONFIGURATION_ERROR', 'the service is misconfigured; the operator must fix it — nothing was accepted');
  // A request a dependency refused as malformed: a bug, logged with its cause.
  if (error instanceof DependencyRequestError) return new HttpError(500, 'INTERNAL', 'internal error');
  if (error instanceof DependencyUnavailableError) {
    // Every write path that answers this is safe to repeat: an enqueue or an edit kept nothing, a pause is idempotent.
    return new HttpError(503, 'SERVICE_UNAVAILABLE', `${error.dependency} is unavailable; the request did not complete (no job was accepted, no edit applied), retry later`, undefined, { 'retry-after': '1' });
  }
  if (error instanceof IdempotencyConflictError) {
    const retry = error.code === 'IDEMPOTENCY_KEY_IN_PROGRESS' ? { 'retry-after': '1' } : undefined;
    return new HttpError(409, error.code, error.message, [{ path: 'headers.idempotency-key', message: error.message }], retry);
  }
  if (error instanceof JobFinishedError || error instanceof JobNotEditableError) return new HttpError(409, error.code, error.message);
  // A retry of a job whose stored payload expired: it can only run again with a payload given.
  if (error instanceof StoredDataMissingError) return new HttpError(409, error.code, `${error.message}; retry it with a payload`);
  if (error instanceof ConveyorError) return new HttpError(500, error.code, error.message);
  return new HttpError(500, 'INTERNAL', 'internal error');
}
