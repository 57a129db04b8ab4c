import { Hono } from 'hono';
import * as z from 'zod';
import { enqueueOptionsShape } from '../../../shared/jobs/enqueue-options.js';
import { enqueueRequestSchema, type EnqueueRequest } from '../../../shared/jobs/registry.js';
import type { JobData } from '../../job-data/job-data.js';
import type { DownloadLinks } from '../download-links.js';
import { HttpError } from '../http-errors.js';
import { IDEMPOTENCY_KEY } from '../idempotent-enqueue.js';
import type { JobService } from '../job-service.js';
import { toJobView } from '../job-view.js';
import { jsonBody, type ApiEnv } from '../middleware.js';
import { takeEnqueueBudget, type EnqueueLimit } from '../rate-limit.js';
import { validateOrThrow } from '../validate.js';

/**
 * The largest request body the API takes: 5 MiB. Not API Gateway's 10 MB (HTTP API quotas: "Payload
 * size 10 MB", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html):
 * the body reaches this function inside the Lambda event, and a synchronous invocation carries at most
 * 6 MB (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html, "Invocation payload").
 * The event holds the body as a JSON string, so every `"`, `\` and control character of the body is
 * escaped to two characters or more, plus about 2 KB of headers and request context: 5 MiB leaves
 * 1 MiB for that. A body that still cannot fit (more than a fifth escapes) never reaches the function:
 * API Gateway answers 413 itself, and so does the local one (local/api-gateway.ts).
 */
export const MAX_BODY_BYTES = 5 * 1024 * 1024;

/** `PATCH /v1/jobs/{id}`: what may change, at least one of it (the payload is checked against its type later). */
export const editBody = z
  .object({
    payload: z.unknown().optional().describe("the new payload, checked against the job type's schema as at enqueue"),
    runAt: enqueueOptionsShape.runAt.describe('start no earlier than this instant (ISO 8601 with a zone); now or earlier than the current one brings it forward'),
    priority: enqueueOptionsShape.priority.describe('job types with priorities only'),
  })
  .strict()
  .refine((body) => body.payload !== undefined || body.runAt !== undefined || body.priority !== undefined, { message: 'give payload, runAt or priority to change' });

/** Job ids are UUIDs; anything else cannot exist and is answered without a read. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `POST /v1/jobs` (enqueue), `GET /v1/jobs/{id}`, `PATCH /v1/jobs/{id}` (edit a waiting job),
 * `DELETE /v1/jobs/{id}` (cancel). With `limit`, an
 * enqueue that passed validation takes one unit of the tenant's budget before anything is written —
 * a new job, an idempotent replay and a key mismatch alike (each costs the same reads before the
 * outcome is known); a refused request (400, 413, 415) takes none.
 */
export function jobRoutes(jobs: JobService, options: { downloads?: DownloadLinks | undefined; limit?: EnqueueLimit | undefined; jobData?: JobData | undefined } = {}): Hono<ApiEnv> {
  const { downloads, limit, jobData } = options;
  const routes = new Hono<ApiEnv>();

  routes.post('/', jsonBody(MAX_BODY_BYTES), async (c) => {
    const idempotencyKey = idempotencyKeyOf(c.req.header('idempotency-key'));
    const request = validateOrThrow(enqueueRequestSchema, c.get('jsonBody')) as EnqueueRequest;
    const tenant = c.get('principal').tenant;
    const plan = jobs.check(tenant, request);
    const budget = limit ? await takeEnqueueBudget(limit, tenant, 1) : {};
    for (const [name, value] of Object.entries(budget)) c.header(name, value);
    const origin = { correlationId: c.get('correlationId') };
    const { job, replayed } = idempotencyKey === undefined
      ? { job: await jobs.enqueue(tenant, request, plan, origin), replayed: false }
      : await jobs.enqueueIdempotent(tenant, request, idempotencyKey, plan, origin);
    const statusUrl = `/v1/jobs/${job.jobId}`;
    c.header('location', statusUrl);
    // A replay answers 200 with the job the key already produced (its current status), not 202.
    if (replayed) c.header('idempotent-replayed', 'true');
    return c.json({ jobId: job.jobId, status: job.status, statusUrl }, replayed ? 200 : 202);
  });

  routes.patch('/:jobId', jsonBody(MAX_BODY_BYTES), async (c) => {
    const jobId = c.req.param('jobId');
    const edit = validateOrThrow(editBody, c.get('jsonBody'));
    const job = JOB_ID.test(jobId) ? await jobs.edit(c.get('principal').tenant, jobId, edit) : undefined;
    if (!job) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} not found`);
    return c.json(toJobView(job));
  });

  routes.delete('/:jobId', async (c) => {
    const jobId = c.req.param('jobId');
    const outcome = JOB_ID.test(jobId) ? await jobs.cancel(c.get('principal').tenant, jobId) : undefined;
    if (!outcome) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} not found`);
    // Cancelled at once → 200; a running job is only flagged, and stops at its next progress write → 202.
    return c.json(toJobView(outcome.job), outcome.kind === 'cancelled' ? 200 : 202);
  });

  routes.get('/:jobId', async (c) => {
    const jobId = c.req.param('jobId');
    const job = JOB_ID.test(jobId) ? await jobs.get(c.get('principal').tenant, jobId) : undefined;
    // Another tenant's job is indistinguishable from a missing one.
    if (!job) throw new HttpError(404, 'NOT_FOUND', `job ${jobId} not found`);
    // A SUCCEEDED job's output file, and a payload or result stored apart, get short-lived URLs
    // signed now, never stored. The keys come from the record (its tenant and id), never the request.
    const [download, stored] = await Promise.all([downloads?.forJob(job), jobData?.links(job)]);
    return c.json({ ...toJobView(job), ...(download ? { download } : {}), ...stored });
  });

  return routes;
}

/**
 * The optional `Idempotency-Key` header: absent, or 1–255 visible ASCII characters. Present but empty
 * (or only spaces, which HTTP trims to empty) is a 400, as is anything non-ASCII: the API Gateway
 * adapter passes header values through unaltered (http-api-event.ts), so "café" can never be taken
 * for "caf%C3%A9".
 */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new HttpError(400, 'VALIDATION_FAILED', 'invalid Idempotency-Key header', [
      { path: 'headers.idempotency-key', message: 'must be 1–255 visible ASCII characters (no spaces)' },
    ]);
  }
  return header;
}
