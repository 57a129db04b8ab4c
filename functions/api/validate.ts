import type { z } from 'zod';
import { HttpError, type ErrorIssue } from './http-errors.js';

/** Validates with a zod schema; a failure is a 400 listing each wrong field by its path. */
export function validateOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new HttpError(400, 'VALIDATION_FAILED', 'request does not match the schema', zodIssues(result.error));
}

export function zodIssues(error: z.ZodError): ErrorIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const keys = 'keys' in issue && Array.isArray(issue.keys) ? issue.keys : [];
    // For unknown keys, name the offending fields themselves, not their parent.
    if (issue.code === 'unrecognized_keys' && keys.length) {
      return { path: keys.map((k) => (path ? `${path}.${String(k)}` : String(k))).join(', '), message: issue.message };
    }
    return { path: path || '(root)', message: issue.message };
  });
}
