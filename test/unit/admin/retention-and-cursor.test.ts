import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../../functions/adapters/aws/page-cursor.js';
import { JobValidationError } from '../../../shared/domain/errors.js';
import { newJobId } from '../../../shared/domain/job-id.js';
import { defineJob } from '../../../shared/jobs/define.js';
import { expiryOf, retentionDaysFor } from '../../../shared/jobs/retention.js';
import * as z from 'zod';

describe('Function: retentionDaysFor', () => {
  it('reads each final status, with dead → failed and cancelled → succeeded as fallbacks', () => {
    const partial = { retentionDays: { succeeded: 2, failed: 40 } };
    const full = { retentionDays: { succeeded: 2, failed: 40, dead: 14, cancelled: 1 } };

    expect(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'].map((s) => retentionDaysFor(partial, s as 'DEAD'))).toEqual([2, 40, 40, 2]);
    expect(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'].map((s) => retentionDaysFor(full, s as 'DEAD'))).toEqual([2, 40, 14, 1]);
    expect(expiryOf(full, 'DEAD', 1_000_000_000_000)).toBe(1_000_000_000 + 14 * 86_400);
  });

  it('rejects a retention setting that is not a whole number of days, naming the job type', () => {
    expect(() => defineJob({ type: 'x', description: 'x', payload: z.object({}), settings: { retentionDays: { succeeded: 1, failed: 1, dead: 0 } } })).toThrow(/defineJob\("x"\).*retentionDays\.dead/);
    expect(() => defineJob({ type: 'x', description: 'x', payload: z.object({}), settings: { retentionDays: { succeeded: 1, failed: 1, done: 3 } as never } })).toThrow(/retentionDays/);
  });
});

describe('Function: decodeCursor', () => {
  const sortKey = newJobId('tenant-a', new Date('2026-11-23T10:00:00.000Z'));

  it('round-trips a position within its listing', () => {
    expect(decodeCursor('jobs|*|*', encodeCursor('jobs|*|*', sortKey))).toBe(sortKey);
  });

  it.each([
    ['garbage', 'not a cursor!'],
    ['not JSON', Buffer.from('nope').toString('base64url')],
    ['wrong version', Buffer.from(JSON.stringify({ v: 2, s: 'jobs|*|*', k: sortKey })).toString('base64url')],
    ['a key that is no job id', Buffer.from(JSON.stringify({ v: 1, s: 'jobs|*|*', k: 'JOBS#abcdef#0' })).toString('base64url')],
    ['a version-4 UUID', Buffer.from(JSON.stringify({ v: 1, s: 'jobs|*|*', k: '0b1c2d3e-4f50-4a6b-8c7d-9e0f1a2b3c4d' })).toString('base64url')],
    ['another listing', encodeCursor('jobs|pdf|*', sortKey)],
    ['too long', 'a'.repeat(600)],
  ])('refuses %s with a JobValidationError on `cursor`', (_name, cursor) => {
    let caught: unknown;
    try {
      decodeCursor('jobs|*|*', cursor);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(JobValidationError);
    expect((caught as JobValidationError).issues[0]?.path).toBe('cursor');
  });
});
