import { JobValidationError } from '../../../shared/domain/errors.js';
import { isJobId } from '../../../shared/domain/job-id.js';

/**
 * Opaque page cursors over job-id sort keys. A cursor names a position (the id of the last item
 * returned: ids sort by creation time across all of a tenant's shards) and the listing it belongs to
 * (`scope`: partition and filters). Clients cannot seek into another partition with one — the
 * partition comes from the caller, never from the cursor — and a malformed or foreign cursor is a 400
 * naming `cursor`, not a DynamoDB error.
 */
const MAX_CURSOR_LENGTH = 512;

export function encodeCursor(scope: string, jobId: string): string {
  return Buffer.from(JSON.stringify({ v: 1, s: scope, k: jobId }), 'utf8').toString('base64url');
}

/** The job id inside a cursor issued for `scope`; throws JobValidationError otherwise. */
export function decodeCursor(scope: string, cursor: string): string {
  const invalid = (message: string) => new JobValidationError('invalid cursor', [{ path: 'cursor', message }]);
  if (cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid('not a cursor this API issued');
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor this API issued');
  }
  const { v, s, k } = (decoded ?? {}) as Record<string, unknown>;
  if (v !== 1 || typeof s !== 'string' || typeof k !== 'string' || !isJobId(k)) throw invalid('not a cursor this API issued');
  if (s !== scope) throw invalid('this cursor belongs to a different listing (other filters or job type)');
  return k;
}
