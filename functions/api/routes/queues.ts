import { Hono } from 'hono';
import * as z from 'zod';
import type { JobListing } from '../../../shared/ports/job-listing.js';
import type { JobData } from '../../job-data/job-data.js';
import type { QueueAdmin } from '../../../shared/ports/queue-admin.js';
import type { RedriveTaskRecord } from '../../../shared/ports/redrive-tasks.js';
import type { DeadLetterService } from '../admin/dead-letters.js';
import type { QueuePauses } from '../admin/queue-pauses.js';
import { queueOverview } from '../admin/queue-overview.js';
import type { WebhookDeadLetterService } from '../admin/webhook-dead-letters.js';
import { HttpError } from '../http-errors.js';
import { toJobView } from '../job-view.js';
import { WEBHOOKS_QUEUE } from '../../../shared/ports/webhook-log.js';
import { requireScope, type ApiEnv } from '../middleware.js';
import { asHttp, jobTypeParam, validateQuery } from './admin-http.js';

export interface QueueRouteDeps {
  readonly queues: QueueAdmin;
  readonly listing: JobListing;
  readonly deadLetters: DeadLetterService;
  /** Pause and resume a type's consumer; absent where the app has no way to switch it (then 501). */
  readonly pauses?: QueuePauses;
  /** Where payloads over the inline limit live (an edited payload on retry may go there). */
  readonly jobData?: JobData;
  /** The webhooks DLQ, where completion webhooks are configured. */
  readonly webhooks?: WebhookDeadLetterService;
}

export const overviewQuery = z.object({ windowMinutes: z.coerce.number().int().min(1).max(7 * 24 * 60).default(60) }).strict();
export const dlqQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(25), cursor: z.string().min(1).optional() }).strict();

/**
 * Operating routes, mounted behind `admin` or `operator`: the overview is the caller's own tenant
 * (beside the shared queues' depths); the dead-letter queues and their redrive hold every tenant's
 * jobs, and a pause stops every tenant's jobs of a type, so they need `operator`.
 */
export function queueRoutes(deps: QueueRouteDeps): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>();
  routes.use('/:type/*', requireScope('operator'));

  routes.get('/', async (c) => {
    const { windowMinutes } = validateQuery(overviewQuery, c.req.query());
    const overview = await queueOverview({ ...deps, webhooks: deps.webhooks !== undefined, redriveStatus: (type) => deps.deadLetters.redriveStatus(type) }, c.get('principal').tenant, windowMinutes);
    return c.json({ ...overview, queues: overview.queues.map((q) => ({ ...q, redrive: q.redrive ? toRedriveView(q.redrive) : null })) });
  });

  // The webhooks DLQ, beside the job types' (`webhooks` is never a job type: shared/jobs/registry.ts).
  const webhooks = (): WebhookDeadLetterService => {
    if (deps.webhooks) return deps.webhooks;
    throw new HttpError(404, 'NOT_FOUND', 'completion webhooks are not configured on this stage');
  };
  routes.get(`/${WEBHOOKS_QUEUE}/dlq`, async (c) => {
    const query = validateQuery(dlqQuery, c.req.query());
    const listing = await webhooks().list({ limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    return c.json({ type: WEBHOOKS_QUEUE, ...listing, unmatchedMessages: Math.max(0, listing.dlq.visible + listing.dlq.inFlight - listing.deadLettered) });
  });
  routes.post(`/${WEBHOOKS_QUEUE}/redrive`, async (c) => {
    const outcome = await asHttp(() => webhooks().redrive());
    return c.json({ type: WEBHOOKS_QUEUE, ...outcome }, outcome.task && outcome.dlqMessages > 0 ? 202 : 200);
  });
  routes.get(`/${WEBHOOKS_QUEUE}/redrive`, async (c) => {
    const task = await webhooks().redriveStatus();
    return c.json({ type: WEBHOOKS_QUEUE, task: task ?? null });
  });

  routes.get('/:type/dlq', async (c) => {
    const type = jobTypeParam(c.req.param('type'));
    const query = validateQuery(dlqQuery, c.req.query());
    const listing = await deps.deadLetters.list(type, { limit: query.limit, ...(query.cursor ? { cursor: query.cursor } : {}) });
    return c.json({
      type,
      dlq: listing.dlq,
      deadJobs: listing.deadJobs,
      // Messages in the DLQ that no DEAD record accounts for: stale copies of jobs retried by id, or
      // jobs that died during a redrive (the next redrive moves them; the worker ignores stale copies).
      unmatchedMessages: Math.max(0, listing.dlq.visible + listing.dlq.inFlight - listing.deadJobs),
      jobs: listing.jobs.map((job) => ({ ...toJobView(job), tenant: job.tenant })),
      ...(listing.cursor ? { cursor: listing.cursor } : {}),
    });
  });

  // Accepted at once: the redrive consumer does the work; GET follows it.
  routes.post('/:type/redrive', async (c) => {
    const type = jobTypeParam(c.req.param('type'));
    const { task, resumed } = await asHttp(() => deps.deadLetters.requestRedrive(type, { requestedBy: c.get('principal').keyId }));
    c.header('location', `/v1/queues/${type}/redrive`);
    return c.json({ type, taskId: task.taskId, resumed, task: toRedriveView(task) }, 202);
  });

  routes.post('/:type/pause', async (c) => {
    const type = jobTypeParam(c.req.param('type'));
    return c.json(await pausesOf(deps).pause(type, c.get('principal')));
  });

  routes.post('/:type/resume', async (c) => {
    const type = jobTypeParam(c.req.param('type'));
    return c.json(await pausesOf(deps).resume(type));
  });

  routes.get('/:type/redrive', async (c) => {
    const type = jobTypeParam(c.req.param('type'));
    const task = await deps.deadLetters.redriveStatus(type);
    return c.json({ type, task: task ? toRedriveView(task) : null });
  });

  return routes;
}

/** A redrive task as operators see it: its progress, without the consumer's bookkeeping (nudge, lease, cursor). */
export function toRedriveView(task: RedriveTaskRecord) {
  const { nudge: _nudge, leaseUntil: _lease, leaseOwner: _owner, cursor: _cursor, page: _page, move, ...view } = task;
  if (!move) return view;
  const { previousStartedAt: _previous, ...shown } = move;
  return { ...view, move: shown };
}

function pausesOf(deps: QueueRouteDeps): QueuePauses {
  if (!deps.pauses) throw new HttpError(501, 'NOT_IMPLEMENTED', 'pausing job types is not configured on this server');
  return deps.pauses;
}
