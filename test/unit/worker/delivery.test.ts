import { describe, expect, it } from 'vitest';
import { interpretConflict, interpretDelivery, REDRIVE_GRACE_SECONDS } from '../../../functions/worker/delivery.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import { queuedJob } from '../../helpers/factories.js';

const ended = '2026-11-23T10:00:00.000Z';
const at = (status: JobStatus, attempt: number, extra: Record<string, unknown> = {}) =>
  queuedJob({ status, attempt, ...(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'].includes(status) ? { finishedAt: ended } : {}), ...extra });
const before = Date.parse(ended) - 60_000;
const after = Date.parse(ended) + 60_000;

describe('Function: interpretDelivery', () => {
  it.each([
    ['no record (orphan message)', undefined, 1, before, { action: 'ack', reason: 'missing' }],
    ['first delivery of a QUEUED job', at('QUEUED', 0), 1, before, { action: 'run' }],
    ['retry of a RETRYING job', at('RETRYING', 1), 2, before, { action: 'run' }],
    ['RUNNING job whose lease ran out', at('RUNNING', 1), 2, before, { action: 'run' }],
    ['duplicate while another delivery runs it', at('RUNNING', 2), 2, before, { action: 'leave', reason: 'superseded' }],
    ['stale delivery older than the record', at('RETRYING', 2), 1, before, { action: 'leave', reason: 'superseded' }],
    ['job flagged for cancellation', at('RUNNING', 1, { cancelRequested: true }), 2, before, { action: 'cancel' }],
    ['duplicate of a SUCCEEDED job', at('SUCCEEDED', 1), 1, before, { action: 'ack', reason: 'finished' }],
    ['a CANCELLED job', at('CANCELLED', 0), 1, before, { action: 'ack', reason: 'finished' }],
    ['redelivery of a FAILED job (ack was lost)', at('FAILED', 1), 2, before, { action: 'ack', reason: 'finished' }],
    ['duplicate copy of a DEAD job’s message (its twin is in the DLQ)', at('DEAD', 3), 1, before, { action: 'ack', reason: 'finished' }],
    ['DEAD job’s message redriven before the record was reset', at('DEAD', 3), 1, after, { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS }],
    ['FAILED job retried before the record was reset', at('FAILED', 1), 1, after, { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS }],
  ] as const)('%s', (_name, record, receiveCount, sentAt, expected) => {
    expect(interpretDelivery(record, { receiveCount, sentAt, maxAttempts: 3 })).toEqual(expected);
  });

  it('acknowledges a distinct duplicate copy while another message holds the job, and leaves an older receive of the holder alone', () => {
    const held = at('RUNNING', 2, { messageId: 'm-holder' });
    expect(interpretDelivery(at('RUNNING', 3, { messageId: 'm' }), { receiveCount: 4, messageId: 'm', maxAttempts: 3 })).toEqual({ action: 'bury' });
    expect(interpretDelivery(at('QUEUED', 0), { receiveCount: 4, maxAttempts: 3 })).toEqual({ action: 'bury' });
    expect(interpretDelivery(at('DEAD', 3, { messageId: 'm' }), { receiveCount: 4, messageId: 'm', sentAt: before, maxAttempts: 3 })).toEqual({ action: 'dead-letter' });
    expect(interpretDelivery(at('DEAD', 3, { messageId: 'm' }), { receiveCount: 4, messageId: 'copy', sentAt: before, maxAttempts: 3 })).toEqual({ action: 'ack', reason: 'finished' });
    expect(interpretDelivery(held, { receiveCount: 1, messageId: 'm-copy', maxAttempts: 3 })).toEqual({ action: 'ack', reason: 'duplicate' });
    expect(interpretDelivery(held, { receiveCount: 2, messageId: 'm-holder', maxAttempts: 3 })).toEqual({ action: 'leave', reason: 'superseded' });
    expect(interpretDelivery(at('RUNNING', 2), { receiveCount: 1, messageId: 'm-copy', maxAttempts: 3 })).toEqual({ action: 'leave', reason: 'superseded' });
  });
});

describe('Function: interpretConflict', () => {
  it.each([
    [undefined, 'ack'],
    [at('SUCCEEDED', 1), 'ack'],
    [at('CANCELLED', 1), 'ack'],
    [at('FAILED', 1), 'ack'],
    [at('DEAD', 3), 'leave'],
    [at('RUNNING', 2), 'leave'],
    [at('RETRYING', 2), 'leave'],
  ] as const)('%o → %s', (record, expected) => {
    expect(interpretConflict(record)).toBe(expected);
  });

  it('acknowledges a copy that lost to another message, leaves the DEAD holder’s own message for the DLQ', () => {
    expect(interpretConflict(at('DEAD', 3, { messageId: 'm1' }), 'm2')).toBe('ack');
    expect(interpretConflict(at('DEAD', 3, { messageId: 'm1' }), 'm1')).toBe('leave');
    expect(interpretConflict(at('RETRYING', 2, { messageId: 'm1' }), 'm2')).toBe('ack');
    expect(interpretConflict(at('RETRYING', 2, { messageId: 'm1' }), 'm1')).toBe('leave');
  });
});
