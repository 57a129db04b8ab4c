import { Hono } from 'hono';
import { flowRequestSchema, type FlowRequest } from '../../../shared/jobs/flow.js';
import type { EnqueuedFlow } from '../../flows/enqueue-flow.js';
import { JobService } from '../job-service.js';
import { jsonBody, type ApiEnv } from '../middleware.js';
import { takeEnqueueBudget, type EnqueueLimit } from '../rate-limit.js';
import { validateOrThrow } from '../validate.js';

/** A flow carries up to 101 payloads: more room than one job's body, still far below API Gateway's 10 MB. */
export const MAX_FLOW_BODY_BYTES = 1024 * 1024;

/**
 * `POST /v1/flows`: a parent job and its children, checked whole before anything is written, then
 * enqueued (functions/flows/). The flow takes one unit of the tenant's enqueue budget per job.
 * Answers 202 with the parent's id and its children's, nested as they were given.
 */
export function flowRoutes(jobs: JobService, options: { limit?: EnqueueLimit | undefined } = {}): Hono<ApiEnv> {
  const routes = new Hono<ApiEnv>();
  routes.post('/', jsonBody(MAX_FLOW_BODY_BYTES), async (c) => {
    const body = validateOrThrow(flowRequestSchema, c.get('jsonBody')) as FlowRequest;
    const tenant = c.get('principal').tenant;
    const root = jobs.checkFlow(tenant, body);
    const budget = options.limit ? await takeEnqueueBudget(options.limit, tenant, JobService.jobsIn(root)) : {};
    for (const [name, value] of Object.entries(budget)) c.header(name, value);
    const flow = await jobs.enqueueFlow(tenant, root, { correlationId: c.get('correlationId') });
    const statusUrl = `/v1/jobs/${flow.job.jobId}`;
    c.header('location', statusUrl);
    return c.json({ jobId: flow.job.jobId, status: flow.job.status, statusUrl, children: flow.children.map(childView) }, 202);
  });
  return routes;
}

interface FlowChildView {
  readonly jobId: string;
  readonly type: string;
  readonly children?: FlowChildView[];
}

function childView(node: EnqueuedFlow): FlowChildView {
  return { jobId: node.job.jobId, type: node.job.type, ...(node.children.length > 0 ? { children: node.children.map(childView) } : {}) };
}
