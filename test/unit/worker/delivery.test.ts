import { describe, expect, it } from 'vitest';
import { EDIT_GRACE_SECONDS, EDIT_RETRY_SECONDS, generationVerdict, interpretConflict, interpretDelivery, REDRIVE_GRACE_SECONDS, type DeliveryFacts } from '../../../functions/worker/delivery.js';
import * as z from 'zod';
import type { JobRecord } from '../../../shared/domain/job.js';
import { defineJob } from '../../../shared/jobs/define.js';
import { API_FUNCTION_TIMEOUT_SECONDS, queueSettingsOf } from '../../../shared/jobs/derived.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import { queuedJob } from '../../helpers/factories.js';

const ended = '2026-11-23T10:00:00.000Z';
const at = (status: JobStatus, attempt: number, extra: Partial<JobRecord> = {}) =>
  queuedJob({ status, attempt, ...(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'].includes(status) ? { finishedAt: ended } : {}), ...extra });
const before = Date.parse(ended) - 60_000;
const after = Date.parse(ended) + 60_000;
/** Held by message M, written on its receive `receiveCount`. */
const heldBy = (receiveCount: number) => ({ messageId: 'M', receiveCount });
/** A delivery of message `messageId` on its receive `receiveCount` (maxAttempts 3, maxReceiveCount 15). */
const delivery = (messageId: string, receiveCount: number, sentAt = before, now = Date.parse(ended) + 3_600_000): DeliveryFacts =>
  ({ messageId, receiveCount, sentAt, maxAttempts: 3, maxReceiveCount: 15, timeoutSeconds: 30, now });

describe('Function: interpretDelivery', () => {
  it.each([
    ['no record (orphan message)', undefined, delivery('M', 1), { action: 'ack', reason: 'missing' }],
    ['first delivery of a QUEUED job', at('QUEUED', 0), delivery('M', 1), { action: 'run', attempt: 1 }],
    ['first run after three throttled receives: still attempt 1', at('QUEUED', 0), delivery('M', 4), { action: 'run', attempt: 1 }],
    ['retry of a RETRYING job (the holder’s message, later receive)', at('RETRYING', 1, heldBy(1)), delivery('M', 2), { action: 'run', attempt: 2 }],
    ['retry after throttled receives: the attempt comes from the record', at('RETRYING', 1, heldBy(1)), delivery('M', 9), { action: 'run', attempt: 2 }],
    ['RUNNING job whose lease ran out (a later receive of its holder)', at('RUNNING', 1, heldBy(2)), delivery('M', 3), { action: 'run', attempt: 2 }],
    ['the receive that holds the job, seen again', at('RUNNING', 2, heldBy(2)), delivery('M', 2), { action: 'leave', reason: 'superseded' }],
    ['an older receive of the holder’s message', at('RETRYING', 2, heldBy(3)), delivery('M', 1), { action: 'leave', reason: 'superseded' }],
    ['a duplicate copy while another message holds the job', at('RUNNING', 2, heldBy(3)), delivery('D', 1), { action: 'ack', reason: 'duplicate' }],
    ['a duplicate copy of a RETRYING job (its holder comes back)', at('RETRYING', 1, heldBy(1)), delivery('D', 5), { action: 'ack', reason: 'duplicate' }],
    ['a QUEUED job ignores a holder left from before its retry', at('QUEUED', 0, heldBy(4)), delivery('N', 1), { action: 'run', attempt: 1 }],
    ['job flagged for cancellation', at('RUNNING', 1, { ...heldBy(1), cancelRequested: true }), delivery('M', 2), { action: 'cancel' }],
    ['the last attempt died RUNNING and its lease ran out', at('RUNNING', 3, heldBy(3)), delivery('M', 4), { action: 'bury', reason: 'attempt-lost' }],
    ['the last receive the redrive policy allows, nothing recorded', at('QUEUED', 0), delivery('M', 15), { action: 'bury', reason: 'receive-limit' }],
    ['one receive before the limit still runs', at('QUEUED', 0), delivery('M', 14), { action: 'run', attempt: 1 }],
    ['duplicate of a SUCCEEDED job', at('SUCCEEDED', 1), delivery('M', 2), { action: 'ack', reason: 'finished' }],
    ['a CANCELLED job', at('CANCELLED', 0), delivery('M', 1), { action: 'ack', reason: 'finished' }],
    ['redelivery of a FAILED job (ack was lost)', at('FAILED', 1), delivery('M', 2), { action: 'ack', reason: 'finished' }],
    ['a DEAD job’s own message, not acknowledged after the hand-off', at('DEAD', 3, heldBy(3)), delivery('M', 4), { action: 'dead-letter' }],
    ['… within a function timeout of the DEAD write (its consumer may still hand it on)', at('DEAD', 3, heldBy(3)), delivery('M', 4, before, Date.parse(ended) + 20_000), { action: 'defer', reason: 'hand-off', delaySeconds: 10 }],
    ['an older receive of a DEAD job’s own message', at('DEAD', 3, heldBy(3)), delivery('M', 2), { action: 'leave', reason: 'superseded' }],
    ['a duplicate copy of a DEAD job’s message (the holder’s is in the DLQ)', at('DEAD', 3, heldBy(3)), delivery('D', 1), { action: 'ack', reason: 'finished' }],
    ['DEAD job’s message redriven before the record was reset', at('DEAD', 3, heldBy(3)), delivery('R', 1, after), { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS }],
    ['FAILED job retried before the record was reset', at('FAILED', 1), delivery('R', 1, after), { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS }],
    ['a record written before holders had a receive count: its attempt was the receive count', at('RUNNING', 2, { messageId: 'M' }), delivery('M', 2), { action: 'leave', reason: 'superseded' }],
    ['… and a later receive takes it over', at('RUNNING', 2, { messageId: 'M' }), delivery('M', 3), { action: 'run', attempt: 3 }],
    // ttlSeconds: `now` is an hour after `ended`.
    ['a QUEUED job past its start-by time: it never ran, it expires', at('QUEUED', 0, { startBy: ended }), delivery('M', 1), { action: 'expire' }],
    ['… even on the last receive the redrive policy allows', at('QUEUED', 0, { startBy: ended }), delivery('M', 15), { action: 'expire' }],
    ['a QUEUED job still within its start-by time runs', at('QUEUED', 0, { startBy: new Date(Date.parse(ended) + 7_200_000).toISOString() }), delivery('M', 1), { action: 'run', attempt: 1 }],
    ['a RETRYING job past its start-by time started already: it runs its next attempt', at('RETRYING', 1, { ...heldBy(1), startBy: ended }), delivery('M', 2), { action: 'run', attempt: 2 }],
    ['a RUNNING job whose lease ran out past its start-by time is taken over', at('RUNNING', 1, { ...heldBy(1), startBy: ended }), delivery('M', 2), { action: 'run', attempt: 2 }],
    ['a duplicate of an EXPIRED job', at('EXPIRED', 0), delivery('M', 2), { action: 'ack', reason: 'finished' }],
  ] as const)('%s', (_name, record, facts, expected) => {
    expect(interpretDelivery(record, facts)).toEqual(expected);
  });
});

describe('Function: interpretConflict', () => {
  it.each([
    ['no record', undefined, 'M', 1, 'ack'],
    ['SUCCEEDED', at('SUCCEEDED', 1), 'M', 1, 'ack'],
    ['CANCELLED', at('CANCELLED', 1), 'M', 1, 'ack'],
    ['FAILED', at('FAILED', 1), 'M', 1, 'ack'],
    ['QUEUED under a newer generation (retried by id meanwhile)', at('QUEUED', 0, { generation: 1 }), 'M', 1, 'ack'],
    ['DEAD, written by this very receive (its answer was lost)', at('DEAD', 3, heldBy(3)), 'M', 3, 'dead-letter'],
    ['DEAD, written by a later receive of this message', at('DEAD', 3, heldBy(4)), 'M', 3, 'leave'],
    ['DEAD, written by an earlier receive (that one hands it on)', at('DEAD', 3, heldBy(2)), 'M', 3, 'leave'],
    ['DEAD, held by another message', at('DEAD', 3, heldBy(3)), 'D', 1, 'ack'],
    ['RUNNING under this message', at('RUNNING', 2, heldBy(2)), 'M', 1, 'leave'],
    ['RETRYING under this message', at('RETRYING', 2, heldBy(2)), 'M', 2, 'leave'],
    ['RETRYING under another message', at('RETRYING', 2, heldBy(2)), 'D', 1, 'ack'],
  ] as const)('%s → %s', (_name, record, messageId, receiveCount, expected) => {
    expect(interpretConflict(record, messageId, receiveCount)).toBe(expected);
  });
});

describe('Function: generationVerdict (edits send the next generation before writing it)', () => {
  const now = Date.parse(ended);
  it.each([
    ['the record’s own generation', 2, 2, now - 1_000, { verdict: 'current' }],
    ['an older copy (retried or edited since)', 3, 2, now - 1_000, { verdict: 'stale' }],
    ['an edit’s message ahead of its record write: wait for it', 2, 3, now - 1_000, { verdict: 'early', delaySeconds: EDIT_RETRY_SECONDS }],
    ['… up to the grace from its send', 2, 3, now - EDIT_GRACE_SECONDS * 1000 + 1, { verdict: 'early', delaySeconds: EDIT_RETRY_SECONDS }],
    ['an edit whose write never landed: acknowledged', 2, 3, now - EDIT_GRACE_SECONDS * 1000, { verdict: 'orphan' }],
    ['a message ahead with no send time: no reason to wait', 0, 1, undefined, { verdict: 'orphan' }],
  ] as const)('%s', (_name, recordGeneration, messageGeneration, sentAt, expected) => {
    expect(generationVerdict(recordGeneration, messageGeneration, sentAt, now)).toEqual(expected);
  });

  it('gives a write more time than the API function may run, in fewer receives than the smallest redrive limit (maxAttempts 1)', () => {
    const smallest = queueSettingsOf(defineJob({ type: 'tiny', description: 'one attempt', payload: z.object({}), settings: { maxAttempts: 1 } })).maxReceiveCount;
    expect(EDIT_GRACE_SECONDS).toBeGreaterThan(API_FUNCTION_TIMEOUT_SECONDS);
    // Deferred every EDIT_RETRY_SECONDS through the grace, plus the receive that finally runs it.
    expect(Math.ceil(EDIT_GRACE_SECONDS / EDIT_RETRY_SECONDS) + 1).toBeLessThan(smallest);
  });
});
