import type { MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { RedriveInProgressError } from '../../../shared/domain/errors.js';
import { isJobType, JOB_TYPES, type JobType } from '../../../shared/jobs/registry.js';
import { NotRetryableError } from '../admin/dead-letters.js';
import { RedriveTooLargeError } from '../admin/webhook-dead-letters.js';
import { HttpError } from '../http-errors.js';
import { jsonBody, type ApiEnv } from '../middleware.js';
import { zodIssues } from '../validate.js';

/** Query-string validation: a 400 naming each wrong parameter as `query.<name>`; unknown ones included. */
export function validateQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issues = zodIssues(result.error).map((issue) => ({ ...issue, path: issue.path.split(', ').map((p) => `query.${p === '(root)' ? '' : p}`).join(', ') }));
  throw new HttpError(400, 'VALIDATION_FAILED', 'query parameters are not valid', issues);
}

/** A job type from the path, or a 404 listing the types that exist. */
export function jobTypeParam(value: string): JobType {
  if (isJobType(value)) return value;
  throw new HttpError(404, 'NOT_FOUND', `unknown job type "${value}"; the job types are ${JOB_TYPES.join(', ')}`);
}

/** The JSON body when the request has one; no body at all is allowed (and leaves `jsonBody` unset). */
export function optionalJsonBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  const parse = jsonBody(maxBytes);
  return async (c, next) => {
    const length = Number(c.req.header('content-length') ?? '0');
    const hasBody = length > 0 || c.req.header('transfer-encoding') !== undefined || c.req.header('content-type') !== undefined;
    if (hasBody) return parse(c, next);
    await next();
  };
}

/** Operator errors as HTTP: conflicts are 409 with a code a script can branch on. */
export async function asHttp<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof NotRetryableError || error instanceof RedriveInProgressError || error instanceof RedriveTooLargeError) {
      throw new HttpError(409, error.code, error.message);
    }
    throw error;
  }
}
