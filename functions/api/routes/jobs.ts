import { Hono } from 'hono';
import { enqueueRequestSchema, type EnqueueRequest } from '../../../shared/jobs/registry.js';
import { HttpError } from '../http-errors.js';
import type { JobService } from '../job-service.js';
import { toJobView } from '../job-view.js';
import { jsonBody, type ApiEnv } from '../middleware.js';
import { validateOrThrow } from '../validate.js';

/** API Gateway's own cap is 10 MB; jobs are small, so refuse big bodies early and cheaply. */
export const MAX_BODY_BYTES = 256 * 1024;

/** Job ids are UUIDs; anything else cannot exist and is answered without a read. */
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function jobRoutes(jobs: JobService): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>();

  routes.post('/', jsonBody(MAX_BODY_BYTES), async (c) => {
    const request = validateOrThrow(enqueueRequestSchema, c.get('jsonBody')) as EnqueueRequest;
    const job = await jobs.enqueue(c.get('principal').tenant, request);
    const statusUrl = `/v1/jobs/${job.jobId}`;
    c.header('location', statusUrl);
    return c.json({ jobId: job.jobId, status: job.status, statusUrl }, 202);
  });

  routes.get('/:jobId', async (c) => {
    const jobId = c.req.param('jobId');
    const job = JOB_ID.test(jobId) ? await jobs.get(c.get('principal').tenant, jobId) : undefined;
    // Another tenant's job is indistinguishable from a missing one.
    if (!job) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} not found`);
    return c.json(toJobView(job));
  });

  return routes;
}
