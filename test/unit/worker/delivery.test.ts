import { describe, expect, it } from 'vitest';
import { interpretConflict, interpretDelivery, REDRIVE_GRACE_SECONDS } from '../../../functions/worker/delivery.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import { queuedJob } from '../../helpers/factories.js';

const at = (status: JobStatus, attempt: number, extra: Record<string, unknown> = {}) => queuedJob({ status, attempt, ...extra });

describe('Function: interpretDelivery', () => {
  it.each([
    ['no record (orphan message)', undefined, 1, { action: 'ack', reason: 'missing' }],
    ['first delivery of a QUEUED job', at('QUEUED', 0), 1, { action: 'run' }],
    ['retry of a RETRYING job', at('RETRYING', 1), 2, { action: 'run' }],
    ['RUNNING job whose lease ran out', at('RUNNING', 1), 2, { action: 'run' }],
    ['duplicate while another delivery runs it', at('RUNNING', 2), 2, { action: 'leave', reason: 'superseded' }],
    ['stale delivery older than the record', at('RETRYING', 2), 1, { action: 'leave', reason: 'superseded' }],
    ['job flagged for cancellation', at('RUNNING', 1, { cancelRequested: true }), 2, { action: 'cancel' }],
    ['duplicate of a SUCCEEDED job', at('SUCCEEDED', 1), 1, { action: 'ack', reason: 'finished' }],
    ['a CANCELLED job', at('CANCELLED', 0), 1, { action: 'ack', reason: 'finished' }],
    ['redelivery of a FAILED job (ack was lost)', at('FAILED', 1), 2, { action: 'ack', reason: 'finished' }],
    ['FAILED job on a first receive (retried before reset)', at('FAILED', 1), 1, { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS }],
    ['DEAD job (redriven before reset)', at('DEAD', 3), 1, { action: 'defer', reason: 'terminal-record', delaySeconds: REDRIVE_GRACE_SECONDS }],
  ] as const)('%s', (_name, record, receiveCount, expected) => {
    expect(interpretDelivery(record, receiveCount)).toEqual(expected);
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
});
