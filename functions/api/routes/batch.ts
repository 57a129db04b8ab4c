import type { Handler } from 'hono';
import * as z from 'zod';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { MAX_BATCH_JOBS, type BatchEnqueuer, type BatchItemError } from '../batch-enqueue.js';
import { takeEnqueueBudget, type EnqueueLimit } from '../rate-limit.js';
import type { ApiEnv } from '../middleware.js';
import { validateOrThrow } from '../validate.js';

/** Up to 100 jobs; API Gateway's own cap is 10 MB. */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

/** The route path: Hono reads `:` as a parameter, so `jobs:batch` is matched as a fixed-value parameter. */
export const BATCH_PATH = '/v1/:op{jobs:batch}';

export const batchBody = z.object({ jobs: z.array(z.unknown()).min(1, 'jobs must hold at least one job').max(MAX_BATCH_JOBS, `jobs holds at most ${MAX_BATCH_JOBS} jobs`) }).strict();

/**
 * `POST /v1/jobs:batch` `{"jobs": [{type, payload, delaySeconds?, runAt?, callbackUrl?, idempotencyKey?}, …]}`.
 * Answers 202 when every job was accepted, 207 when some were and some not (each result says
 * which). When none was accepted the status says why, as `POST /v1/jobs` would for one job (see
 * `refusedStatus`). The tenant's enqueue budget is taken for the valid jobs as a whole: 429 takes
 * none of them.
 */
export function batchHandler(batch: BatchEnqueuer, limit: EnqueueLimit | undefined): Handler<ApiEnv> {
  return async (c) => {
    const { jobs } = validateOrThrow(batchBody, c.get('jsonBody'));
    const tenant = c.get('principal').tenant;
    const { valid, errors } = batch.validate(tenant, jobs);
    const headers = valid.length > 0 && limit ? await takeEnqueueBudget(limit, tenant, valid.length) : {};
    for (const [name, value] of Object.entries(headers)) c.header(name, value);
    const results = [...errors, ...(valid.length > 0 ? await batch.enqueue(tenant, valid, { correlationId: c.get('correlationId') }) : [])].sort((a, b) => a.index - b.index);
    const accepted = results.filter((r) => 'jobId' in r).length;
    const rejected = results.length - accepted;
    if (accepted > 0) return c.json({ accepted, rejected, results }, rejected === 0 ? 202 : 207);
    const refused = refusedStatus(results.flatMap((r) => ('error' in r ? [r.error] : [])));
    for (const [name, value] of Object.entries(refused.headers)) c.header(name, value);
    const issues = results.flatMap((r) => ('error' in r ? (r.error.issues ?? []) : []));
    return c.json({ error: { code: refused.code, message: 'no job in the batch was accepted', ...(issues.length ? { issues } : {}) }, accepted, rejected, results }, refused.status);
  };
}

/** The HTTP status and code each item error stands for. */
const ITEM_STATUS: Record<string, ContentfulStatusCode> = {
  VALIDATION_FAILED: 400,
  PAYLOAD_TOO_LARGE: 413,
  IDEMPOTENCY_KEY_MISMATCH: 409,
  IDEMPOTENCY_KEY_IN_PROGRESS: 409,
  SERVICE_UNAVAILABLE: 503,
};

/**
 * The answer to a batch of which no job was accepted: 503 with Retry-After when any item failed on
 * an unavailable dependency (sending those again can work); otherwise the status and code every item
 * shares (400 VALIDATION_FAILED, 413 PAYLOAD_TOO_LARGE, 409 for Idempotency-Key conflicts), 400
 * `BATCH_REFUSED` when the items were refused for different reasons, 500 if any failed unexpectedly.
 */
export function refusedStatus(errors: readonly BatchItemError[]): { status: ContentfulStatusCode; code: string; headers: Record<string, string> } {
  if (errors.some((e) => e.code === 'SERVICE_UNAVAILABLE')) return { status: 503, code: 'SERVICE_UNAVAILABLE', headers: { 'retry-after': '1' } };
  const codes = new Set(errors.map((e) => e.code));
  if ([...codes].some((code) => ITEM_STATUS[code] === undefined)) return { status: 500, code: 'INTERNAL', headers: {} };
  const [only] = codes;
  if (codes.size === 1 && only !== undefined && ITEM_STATUS[only] !== undefined) {
    return { status: ITEM_STATUS[only], code: only, headers: only === 'IDEMPOTENCY_KEY_IN_PROGRESS' ? { 'retry-after': '1' } : {} };
  }
  return { status: 400, code: 'BATCH_REFUSED', headers: {} };
}
