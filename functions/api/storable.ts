import { PayloadTooLargeError, JobValidationError } from '../../shared/domain/errors.js';
import type { ErrorIssue } from './http-errors.js';

/**
 * What SQS and DynamoDB would refuse, checked before anything is written: a request that can never
 * be stored is a 400 (413 for size) naming the field, never a 503 that tells the client to retry.
 *
 * - SQS message bodies may hold only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF
 *   (SendMessage API reference; anything else is `InvalidMessageContents`). A job's message is
 *   JSON.stringify of its fields, which escapes C0 controls and lone surrogates as `\uXXXX` text, so
 *   of that list only U+FFFE and U+FFFF can reach SQS raw: exactly those are refused here (lone
 *   surrogates and NUL are refused earlier by the JSON guard, safe-json.ts).
 * - DynamoDB numbers (Naming rules and data types): 38 significant digits, magnitude 1E-130 to
 *   9.99…E+125, else a ValidationException ("Number underflow/overflow"); and the SDK's marshaller
 *   refuses any JS number beyond ±(2^53−1) rather than store it imprecisely. A JSON number has at most
 *   17 significant digits once parsed, so the rule is: 0, or 1E-130 ≤ |n| ≤ 2^53−1.
 * - DynamoDB items are at most 400 KB (attribute names and values, sized as in "DynamoDB item sizes
 *   and formats"): a job's record at enqueue may use 400 KB less `RECORD_HEADROOM_BYTES`, kept for
 *   what running the job writes to the same item (status fields, progress message, result, error).
 */
export const DYNAMODB_ITEM_LIMIT_BYTES = 400 * 1024;
export const RECORD_HEADROOM_BYTES = 16 * 1024;
export const MAX_RECORD_BYTES = DYNAMODB_ITEM_LIMIT_BYTES - RECORD_HEADROOM_BYTES;

const MIN_MAGNITUDE = 1e-130;
const SQS_REFUSED = /[\uFFFE\uFFFF]/;

/** Every string, key and number in `value` that SQS or DynamoDB would refuse, by path (`payload.data.rows.0.1`). */
export function unstorableIssues(value: unknown, path: string): ErrorIssue[] {
  const issues: ErrorIssue[] = [];
  visit(value, path, issues);
  return issues;
}

function visit(value: unknown, path: string, issues: ErrorIssue[]): void {
  if (typeof value === 'string') {
    if (SQS_REFUSED.test(value)) issues.push({ path, message: 'U+FFFE and U+FFFF are not allowed (the queue refuses them)' });
  } else if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    if (!Number.isFinite(value) || magnitude > Number.MAX_SAFE_INTEGER) {
      issues.push({ path, message: `numbers must be within ±${Number.MAX_SAFE_INTEGER} (2^53−1); send larger values as strings` });
    } else if (magnitude !== 0 && magnitude < MIN_MAGNITUDE) {
      issues.push({ path, message: 'numbers other than 0 must be at least 1e-130 in magnitude (DynamoDB\'s smallest)' });
    }
  } else if (Array.isArray(value)) {
    value.forEach((item, index) => visit(item, join(path, String(index)), issues));
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const itemPath = join(path, key);
      if (SQS_REFUSED.test(key)) issues.push({ path: itemPath, message: 'U+FFFE and U+FFFF are not allowed in names (the queue refuses them)' });
      visit(item, itemPath, issues);
    }
  }
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

/**
 * The size DynamoDB bills and limits for an item: attribute names plus values, strings as UTF-8,
 * numbers 1 byte per two significant digits plus 1, booleans and null 1, lists and maps 3 bytes plus
 * 1 per element (and a map element's name). `undefined` attributes are not written.
 */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    bytes += Buffer.byteLength(name, 'utf8') + valueBytes(value);
  }
  return bytes;
}

function valueBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return Math.ceil(significantDigits(value) / 2) + 1;
  if (typeof value === 'boolean' || value === null) return 1;
  if (Array.isArray(value)) return value.reduce<number>((sum, item) => sum + 1 + valueBytes(item), 3);
  if (typeof value === 'object') {
    let bytes = 3;
    for (const [name, item] of Object.entries(value as Record<string, unknown>)) {
      if (item !== undefined) bytes += 1 + Buffer.byteLength(name, 'utf8') + valueBytes(item);
    }
    return bytes;
  }
  return 0;
}

/** Leading and trailing zeroes do not count (DynamoDB trims them). A scan of the shortest decimal form, no regex: it runs per number. */
function significantDigits(value: number): number {
  const text = String(Math.abs(value));
  const exponent = text.indexOf('e');
  const end = exponent >= 0 ? exponent : text.length;
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e /* . */) continue;
    count++;
    if (c !== 0x30 /* 0 */) {
      if (first < 0) first = count;
      last = count;
    }
  }
  return first < 0 ? 1 : last - first + 1;
}

/**
 * Throws a JobValidationError (400) naming each field SQS or DynamoDB would refuse, then a
 * PayloadTooLargeError (413) if the record would not fit in a DynamoDB item. `prefix` is prepended to
 * every path (`jobs.3` in a batch).
 */
export function assertStorable(request: { readonly payload: unknown }, record: Readonly<Record<string, unknown>>, prefix = ''): void {
  const issues = unstorableIssues(request, prefix);
  if (issues.length > 0) throw new JobValidationError('the request holds values the queue or the job store cannot keep', issues);
  const bytes = dynamoItemBytes(record);
  if (bytes > MAX_RECORD_BYTES) {
    const path = prefix ? `${prefix}.payload` : 'payload';
    throw new PayloadTooLargeError(`this job's record would take ${Math.ceil(bytes / 1024)} KB; at most ${MAX_RECORD_BYTES / 1024} KB fit in a job record`, [
      { path, message: `at most ${MAX_RECORD_BYTES / 1024} KB once stored (DynamoDB items hold 400 KB, ${RECORD_HEADROOM_BYTES / 1024} KB of which stay free for the job's result)` },
    ]);
  }
}
