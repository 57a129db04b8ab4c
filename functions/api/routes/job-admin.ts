import { Hono } from 'hono';
import * as z from 'zod';
import { JOB_STATUSES } from '../../../shared/domain/status.js';
import { JOB_TYPES, getJobDefinition, isJobType } from '../../../shared/jobs/registry.js';
import type { JobListing } from '../../../shared/ports/job-listing.js';
import type { DeadLetterService } from '../admin/dead-letters.js';
import { HttpError } from '../http-errors.js';
import { toJobView } from '../job-view.js';
import { requireScope, type ApiEnv } from '../middleware.js';
import { validateOrThrow, zodIssues } from '../validate.js';
import { asHttp, optionalJsonBody, validateQuery } from './admin-http.js';
import { JOB_ID, MAX_BODY_BYTES } from './jobs.js';
import { mayActFor } from '../../../shared/ports/api-keys.js';
import { asStored, type JobData } from '../../job-data/job-data.js';
import { assertStorable } from '../storable.js';

export interface JobAdminRouteDeps {
  readonly listing: JobListing;
  readonly deadLetters: DeadLetterService;
  readonly jobData?: JobData;
}

export const listQuery = z
  .object({
    type: z.enum(JOB_TYPES as [string, ...string[]]).optional(),
    status: z.enum(JOB_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: z.string().min(1).optional(),
  })
  .strict();

export const retryBody = z.object({ payload: z.unknown().optional() }).strict();

/**
 * `GET /v1/jobs` (the caller's jobs, newest first, paginated) and `POST /v1/jobs/{id}/retry` (one
 * DEAD or FAILED job back to QUEUED, optionally with an edited payload): `admin` retries its own
 * tenant's jobs, `operator` any tenant's. Another tenant's job answers 404, as a missing one does.
 */
export function jobAdminRoutes(deps: JobAdminRouteDeps): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>();

  routes.get('/', async (c) => {
    const query = validateQuery(listQuery, c.req.query());
    const page = await deps.listing.list(c.get('principal').tenant, query);
    return c.json({ jobs: page.jobs.map(toJobView), ...(page.cursor ? { cursor: page.cursor } : {}) });
  });

  routes.post('/:jobId/retry', requireScope('admin', 'operator'), optionalJsonBody(MAX_BODY_BYTES), async (c) => {
    const jobId = c.req.param('jobId');
    const body = c.get('jsonBody') === undefined ? {} : validateOrThrow(retryBody, c.get('jsonBody'));
    const principal = c.get('principal');
    const existing = JOB_ID.test(jobId) ? await deps.deadLetters.peek(jobId) : undefined;
    if (!existing || !mayActFor(principal, existing.tenant)) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} not found`);
    let payload: unknown;
    if (body.payload !== undefined && isJobType(existing.type)) {
      // An edited payload meets the same schema as at enqueue.
      const parsed = getJobDefinition(existing.type).payload.safeParse(body.payload);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error).map((issue) => ({ ...issue, path: issue.path === '(root)' ? 'payload' : `payload.${issue.path}` }));
        throw new HttpError(400, 'VALIDATION_FAILED', 'payload does not match the job type\'s schema', issues);
      }
      payload = parsed.data;
      // Sized as stored: over the inline limit the record holds a reference instead.
      assertStorable({ payload }, asStored({ ...existing, payload }, deps.jobData));
    }
    // The tenant is checked again where the record is rewritten, so a job read here cannot be swapped.
    const job = await asHttp(() => deps.deadLetters.retry(jobId, { ...(payload !== undefined ? { payload } : {}), tenant: existing.tenant }));
    if (!job) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} not found`);
    return c.json({ ...toJobView(job), tenant: job.tenant }, 202);
  });

  return routes;
}
