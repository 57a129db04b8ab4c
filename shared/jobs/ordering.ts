import { createHash } from 'node:crypto';
import * as z from 'zod';

/**
 * Groups: the `groupKey` of an enqueue, and the SQS MessageGroupId it becomes.
 *
 * - A FIFO job type (`ordering: 'fifo'`) runs the jobs of one group one at a time, in enqueue order: its
 *   queue is an SQS FIFO queue, and SQS delivers a group's messages in order and none while one of them is
 *   in flight. A job that fails and retries keeps its group waiting until it succeeds or is DEAD.
 * - A standard job type's queue is an SQS fair queue: the group is the tenant of SQS's noisy-neighbour
 *   protection, so one group's backlog does not hold back the others' jobs.
 *
 * Without a `groupKey`, a job's group is its tenant's default group: tenants never wait for each other,
 * and on a FIFO type one tenant's jobs run in order. Groups are always scoped by tenant: two tenants using
 * the same `groupKey` get different SQS groups, so no tenant can block or slow another's.
 */

/** 1–128 visible ASCII characters: SQS's own rule for a MessageGroupId, so a key is never silently changed. */
export const GROUP_KEY = /^[\x21-\x7e]{1,128}$/;

export const groupKeySchema = z
  .string({ message: 'groupKey must be a string' })
  .regex(GROUP_KEY, 'groupKey must be 1–128 visible ASCII characters (no spaces)');

/**
 * The SQS MessageGroupId of a tenant's group: a digest of (tenant, groupKey), so tenants' groups cannot
 * collide (a plain `tenant/key` could: `a/b` + `c` and `a` + `b/c`), whatever characters a tenant name
 * holds. 32 hex digits: 128 bits, well inside SQS's 128 characters.
 */
export function messageGroupIdOf(tenant: string, groupKey?: string): string {
  return createHash('sha256').update(JSON.stringify([tenant, groupKey ?? null]), 'utf8').digest('hex').slice(0, 32);
}
