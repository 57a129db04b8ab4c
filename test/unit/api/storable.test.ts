import { describe, expect, it } from 'vitest';
import { refusedStatus } from '../../../functions/api/routes/batch.js';
import { assertStorable, dynamoItemBytes, MAX_RECORD_BYTES, unstorableIssues } from '../../../functions/api/storable.js';
import { JobValidationError, PayloadTooLargeError } from '../../../shared/domain/errors.js';

describe('Function: unstorableIssues', () => {
  it('names every string, key and number SQS or DynamoDB would refuse, by path', () => {
    const issues = unstorableIssues({ payload: { a: 'ok', b: ['fine', 'x\uFFFF'], ['k\uFFFE']: 1, n: [1e126, -1e126, 1e-131, 5e-324, 2 ** 53, 1.5e16] } }, '');
    expect(issues.map((i) => i.path)).toEqual(['payload.b.1', 'payload.k\uFFFE', 'payload.n.0', 'payload.n.1', 'payload.n.2', 'payload.n.3', 'payload.n.4', 'payload.n.5']);
  });

  it('accepts what SQS and DynamoDB keep: escaped controls, U+FFFD, astral characters, the number edges', () => {
    const value = { s: 'tab\tnew\nline \u0001 \uFFFD 😀 \uFDD0', n: [0, -0, 1e-130, -1e-130, 2 ** 53 - 1, -(2 ** 53 - 1), 0.1, 123.456] };
    expect(unstorableIssues(value, 'payload')).toEqual([]);
  });
});

describe('Function: dynamoItemBytes', () => {
  it('sizes attributes as DynamoDB documents it: names + UTF-8 strings, numbers by significant digits, 3 bytes per list or map plus 1 per element', () => {
    expect(dynamoItemBytes({ a: 'héllo' })).toBe(1 + 6);
    // 12345: 5 significant digits → 3 bytes + 1; 1000: 1 digit (trailing zeroes trimmed) → 1 + 1.
    expect(dynamoItemBytes({ n: 12345, m: 1000 })).toBe(1 + 4 + 1 + 2);
    expect(dynamoItemBytes({ t: true, z: null })).toBe(2 + 2);
    // 0.0012 → 2 digits; 123.456 → 6; 1.5e16 → 2; 1e-130 → 1; 0 → 1.
    expect([0.0012, 123.456, 1.5e16, 1e-130, 0].map((n) => dynamoItemBytes({ n }) - 1)).toEqual([2, 4, 2, 2, 2]);
    // list: 3 + (1 + 1) + (1 + 2); map: 3 + (1 + 1 + 1 + 1)
    expect(dynamoItemBytes({ l: ['a', 'bc'], m: { k: 'v', u: undefined } })).toBe(1 + 3 + 2 + 3 + 1 + 3 + 1 + 1 + 1);
  });
});

describe('Function: assertStorable', () => {
  it('throws a 400 error naming fields SQS or DynamoDB would refuse, with the prefix', () => {
    expect(() => assertStorable({ payload: { x: 1e300 } }, {}, 'jobs.2')).toThrow(JobValidationError);
    try {
      assertStorable({ payload: { x: 1e300 } }, {}, 'jobs.2');
    } catch (error) {
      expect((error as JobValidationError).issues).toEqual([expect.objectContaining({ path: 'jobs.2.payload.x' })]);
    }
  });

  it('throws a 413 error for a record over the limit, and lets one at the limit through', () => {
    const record = (bytes: number) => ({ p: 'x'.repeat(bytes - 1) });
    expect(() => assertStorable({ payload: {} }, record(MAX_RECORD_BYTES))).not.toThrow();
    expect(() => assertStorable({ payload: {} }, record(MAX_RECORD_BYTES + 1))).toThrow(PayloadTooLargeError);
  });
});

describe('Function: refusedStatus (a batch with no job accepted)', () => {
  const e = (code: string) => ({ code, message: code });
  it.each([
    [[e('VALIDATION_FAILED'), e('VALIDATION_FAILED')], 400, 'VALIDATION_FAILED'],
    [[e('PAYLOAD_TOO_LARGE')], 413, 'PAYLOAD_TOO_LARGE'],
    [[e('IDEMPOTENCY_KEY_MISMATCH')], 409, 'IDEMPOTENCY_KEY_MISMATCH'],
    [[e('VALIDATION_FAILED'), e('SERVICE_UNAVAILABLE')], 503, 'SERVICE_UNAVAILABLE'],
    [[e('VALIDATION_FAILED'), e('PAYLOAD_TOO_LARGE')], 400, 'BATCH_REFUSED'],
    [[e('VALIDATION_FAILED'), e('INTERNAL')], 500, 'INTERNAL'],
  ])('answers %j with %i %s', (errors, status, code) => {
    expect(refusedStatus(errors)).toMatchObject({ status, code });
  });

  it('says when to retry: after 1 s for an unavailable dependency or a key still in progress', () => {
    expect(refusedStatus([e('SERVICE_UNAVAILABLE')]).headers).toEqual({ 'retry-after': '1' });
    expect(refusedStatus([e('IDEMPOTENCY_KEY_IN_PROGRESS')]).headers).toEqual({ 'retry-after': '1' });
    expect(refusedStatus([e('VALIDATION_FAILED')]).headers).toEqual({});
  });
});
