import { describe, expect, it } from 'vitest';
import { PageCursors } from '../../../functions/adapters/aws/page-cursor.js';
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

describe('Class: PageCursors', () => {
  const sortKey = newJobId('tenant-a', new Date('2026-11-23T10:00:00.000Z'));
  const cursors = new PageCursors(async () => Buffer.alloc(32, 1));
  const scope = 'jobs|tenant-a|*|*';

  async function refusal(cursor: string, forScope = scope): Promise<unknown> {
    try {
      await cursors.decode(forScope, cursor);
    } catch (error) {
      return error;
    }
    return undefined;
  }

  it('round-trips a position within its listing', async () => {
    expect(await cursors.decode(scope, await cursors.encode(scope, sortKey))).toBe(sortKey);
  });

  it.each([
    ['garbage', async () => 'not a cursor!'],
    ['an unsigned cursor of the earlier format', async () => Buffer.from(JSON.stringify({ v: 1, s: 'jobs|*|*', k: sortKey })).toString('base64url')],
    ['a cursor signed with another key', async () => new PageCursors(async () => Buffer.alloc(32, 2)).encode(scope, sortKey)],
    ['a cursor with one byte changed', async () => {
      const bytes = Buffer.from(await cursors.encode(scope, sortKey), 'base64url');
      bytes[5] = bytes[5]! ^ 1;
      return bytes.toString('base64url');
    }],
    ['a cursor with its MAC cut short', async () => (await cursors.encode(scope, sortKey)).slice(0, 40)],
    ['another tenant\'s cursor', async () => cursors.encode('jobs|tenant-b|*|*', sortKey)],
    ['another filter\'s cursor', async () => cursors.encode('jobs|tenant-a|pdf|*', sortKey)],
    ['too long', async () => 'a'.repeat(600)],
  ])('refuses %s with a JobValidationError on `cursor`', async (_name, make) => {
    const caught = await refusal(await make());
    expect(caught).toBeInstanceOf(JobValidationError);
    expect((caught as JobValidationError).issues[0]?.path).toBe('cursor');
  });
});
