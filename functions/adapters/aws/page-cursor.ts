import { JobValidationError } from '../../../shared/domain/errors.js';

/**
 * Opaque page cursors over the `byTenant` index. A cursor names a position (the sort key of the last
 * item returned) and the listing it belongs to (`scope`: partition and filters). Clients cannot seek
 * into another partition with one — the partition comes from the caller, never from the cursor — and
 * a malformed or foreign cursor is a 400 naming `cursor`, not a DynamoDB error.
 */
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z#[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_CURSOR_LENGTH = 512;

export function encodeCursor(scope: string, sortKey: string): string {
  return Buffer.from(JSON.stringify({ v: 1, s: scope, k: sortKey }), 'utf8').toString('base64url');
}

/** The sort key inside a cursor issued for `scope`; throws JobValidationError otherwise. */
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
  if (v !== 1 || typeof s !== 'string' || typeof k !== 'string' || !SORT_KEY.test(k)) throw invalid('not a cursor this API issued');
  if (s !== scope) throw invalid('this cursor belongs to a different listing (other filters or job type)');
  return k;
}

/** The job id at the end of a `createdAt#jobId` sort key. */
export function jobIdOfSortKey(sortKey: string): string {
  return sortKey.slice(sortKey.lastIndexOf('#') + 1);
}
