import type { Handler } from 'hono';
import * as z from 'zod';
import { MAX_BATCH_JOBS, type BatchEnqueuer } from '../batch-enqueue.js';
import { takeEnqueueBudget, type EnqueueLimit } from '../rate-limit.js';
import type { ApiEnv } from '../middleware.js';
import { validateOrThrow } from '../validate.js';

/** Up to 100 jobs; API Gateway's own cap is 10 MB. */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

/** The route path: Hono reads `:` as a parameter, so `jobs:batch` is matched as a fixed-value parameter. */
export const BATCH_PATH = '/v1/:op{jobs:batch}';

const batchBody = z.object({ jobs: z.array(z.unknown()).min(1, 'jobs must hold at least one job').max(MAX_BATCH_JOBS, `jobs holds at most ${MAX_BATCH_JOBS} jobs`) }).strict();

/**
 * `POST /v1/jobs:batch` `{"jobs": [{type, payload, delaySeconds?, runAt?, callbackUrl?, idempotencyKey?}, …]}`.
 * Answers 202 when every job was accepted, 207 when some were not (each result says which), 400 when
 * the body is not a batch or no job passed validation. The tenant's enqueue budget is taken for the
 * valid jobs as a whole: 429 takes none of them.
 */
export function batchHandler(batch: BatchEnqueuer, limit: EnqueueLimit | undefined): Handler<ApiEnv> {
  return async (c) => {
    const { jobs } = validateOrThrow(batchBody, c.get('jsonBody'));
    const { valid, errors } = batch.validate(jobs);
    if (valid.length === 0) {
      return c.json({ error: { code: 'VALIDATION_FAILED', message: 'no job in the batch is valid', issues: errors.flatMap((r) => ('error' in r ? (r.error.issues ?? []) : [])) }, results: errors }, 400);
    }
    const tenant = c.get('principal').tenant;
    const headers = limit ? await takeEnqueueBudget(limit, tenant, valid.length) : {};
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    const results = [...errors, ...(await batch.enqueue(tenant, valid, { correlationId: c.get('correlationId') }))].sort((a, b) => a.index - b.index);
    const accepted = results.filter((r) => 'jobId' in r).length;
    return c.json({ accepted, rejected: results.length - accepted, results }, accepted === results.length ? 202 : 207);
  };
}
