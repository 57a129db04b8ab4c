import { Hono } from 'hono';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import { analysisJob } from '../../../shared/jobs/analysis.js';
import type { EnqueueRequest } from '../../../shared/jobs/registry.js';
import type { QueueAdmin } from '../../../shared/ports/queue-admin.js';
import type { Logger } from '../../../shared/ports/logger.js';
import { HttpError } from '../http-errors.js';
import { resultView } from '../result-view.js';
import type { JobService } from '../job-service.js';
import { jsonBody, type ApiEnv } from '../middleware.js';
import { takeEnqueueBudget, type EnqueueLimit } from '../rate-limit.js';
import { validateOrThrow } from '../validate.js';
import { idempotencyKeyOf, JOB_ID, MAX_BODY_BYTES } from './jobs.js';

/*
 * The AltStackFast analyze API, as its clients call it, over the same `analysis` jobs as
 * `POST /v1/jobs` — same key, tenant, rate limit, Idempotency-Key and payload schema — answering in
 * that API's vocabulary (BullMQ's job states).
 */

export type AnalyzeStatus = 'waiting' | 'active' | 'completed' | 'failed';

/**
 * BullMQ's states for Conveyor's: a job retrying after a failed attempt is waiting for its next run; one
 * that expired (not started by its ttlSeconds deadline) never will, so it failed, with its reason.
 */
export const ANALYZE_STATUS: Readonly<Record<JobStatus, AnalyzeStatus>> = {
  QUEUED: 'waiting',
  RETRYING: 'waiting',
  RUNNING: 'active',
  SUCCEEDED: 'completed',
  FAILED: 'failed',
  DEAD: 'failed',
  CANCELLED: 'failed',
  EXPIRED: 'failed',
};

export function analyzeRoutes(jobs: JobService, options: { limit?: EnqueueLimit | undefined } = {}): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>();

  routes.post('/', jsonBody(MAX_BODY_BYTES), async (c) => {
    const idempotencyKey = idempotencyKeyOf(c.req.header('idempotency-key'));
    const payload = validateOrThrow(analysisJob.payload, c.get('jsonBody'));
    const request: EnqueueRequest = { type: 'analysis', payload };
    const tenant = c.get('principal').tenant;
    // As POST /v1/jobs: checked, then one unit of the tenant's enqueue budget, then written.
    const plan = jobs.check(tenant, request);
    const budget = options.limit ? await takeEnqueueBudget(options.limit, tenant, 1) : {};
    for (const [name, value] of Object.entries(budget)) c.header(name, value);
    const origin = { correlationId: c.get('correlationId') };
    const { job, replayed } = idempotencyKey === undefined
      ? { job: await jobs.enqueue(tenant, request, plan, origin), replayed: false }
      : await jobs.enqueueIdempotent(tenant, request, idempotencyKey, plan, origin);
    c.header('location', `/v1/analyze/${job.jobId}`);
    if (replayed) c.header('idempotent-replayed', 'true');
    return c.json({ jobId: job.jobId, status: ANALYZE_STATUS[job.status] }, replayed ? 200 : 202);
  });

  routes.get('/:jobId', async (c) => {
    const jobId = c.req.param('jobId');
    const job = JOB_ID.test(jobId) ? await jobs.get(c.get('principal').tenant, jobId) : undefined;
    // Another tenant's job, or a job of another type, is no analysis of this caller's.
    if (!job || job.type !== 'analysis') throw new HttpError(404, 'NOT_FOUND', `analysis job ${jobId} not found`);
    return c.json(toAnalyzeView(job));
  });

  return routes;
}

export function toAnalyzeView(job: JobRecord): Record<string, unknown> {
  const status = ANALYZE_STATUS[job.status];
  const result = resultView(job) as { toolId?: string; analysis?: { strengths: unknown; limitations: unknown; useCases: unknown; maturityScore: unknown } } | undefined;
  return {
    jobId: job.jobId,
    status,
    progress: job.progress,
    result: status === 'completed' && result?.analysis
      ? { toolId: result.toolId, analysis: { strengths: result.analysis.strengths, limitations: result.analysis.limitations, useCases: result.analysis.useCases, maturityScore: result.analysis.maturityScore } }
      : null,
    ...(status === 'failed' && job.error ? { failedReason: `${job.error.code}: ${job.error.message}` } : {}),
    // The whole job (counts, keywords, sentiment, category, timestamps) in Conveyor's own API.
    jobUrl: `/v1/jobs/${job.jobId}`,
  };
}

/**
 * `GET /queue/health`: the analysis queue's state from SQS queue attributes (one GetQueueAttributes
 * per lane and one for the DLQ: no table read, no tenant data). `waiting` = visible + delayed
 * messages, `active` = in flight, `failed` = dead letters awaiting an operator. SQS keeps no count of
 * finished messages, so `completed` is null (CloudWatch's NumberOfMessagesDeleted has it).
 * `degraded`: dead letters are waiting, or the queue could not be read (503).
 */
export function queueHealthHandler(queues: QueueAdmin, logger: Logger, now: () => Date = () => new Date()) {
  return async (c: { json: (body: unknown, status?: 200 | 503) => Response }): Promise<Response> => {
    try {
      const { queue, dlq } = await queues.depths('analysis');
      const stats = { waiting: queue.visible + queue.delayed, active: queue.inFlight, completed: null, failed: dlq.visible + dlq.inFlight + dlq.delayed };
      return c.json({ status: stats.failed > 0 ? 'degraded' : 'healthy', stats, timestamp: now().toISOString() });
    } catch (error) {
      logger.error('queue health: the analysis queue could not be read', { error });
      return c.json({ status: 'degraded', stats: null, error: 'the analysis queue could not be read', timestamp: now().toISOString() }, 503);
    }
  };
}
