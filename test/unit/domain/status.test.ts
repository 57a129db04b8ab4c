import { describe, expect, it } from 'vitest';
import { backoffCeilingSeconds, backoffDelaySeconds } from '../../../shared/domain/retry.js';
import { canTransition, isTerminal, JOB_STATUSES, sourcesOf } from '../../../shared/domain/status.js';

describe('Module: job state machine', () => {
  it.each([
    ['QUEUED', 'RUNNING'],
    ['RUNNING', 'SUCCEEDED'],
    ['RUNNING', 'RETRYING'],
    ['RETRYING', 'RUNNING'],
    ['QUEUED', 'CANCELLED'],
    ['RETRYING', 'CANCELLED'],
    ['DEAD', 'QUEUED'],
    ['FAILED', 'QUEUED'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
  });

  it.each([
    ['SUCCEEDED', 'RUNNING'],
    ['SUCCEEDED', 'QUEUED'],
    ['CANCELLED', 'QUEUED'],
    ['DEAD', 'RUNNING'],
    ['FAILED', 'SUCCEEDED'],
  ] as const)('never moves a finished job %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('has no way out of SUCCEEDED or CANCELLED', () => {
    for (const to of JOB_STATUSES) {
      expect(canTransition('SUCCEEDED', to)).toBe(false);
      expect(canTransition('CANCELLED', to)).toBe(false);
    }
    expect(isTerminal('SUCCEEDED')).toBe(true);
    expect(isTerminal('RETRYING')).toBe(false);
  });

  it('lists the statuses a job may be cancelled from', () => {
    expect(sourcesOf('CANCELLED').sort()).toEqual(['QUEUED', 'RETRYING', 'RUNNING']);
  });
});

describe('Function: backoffDelaySeconds', () => {
  const policy = { baseSeconds: 2, maxSeconds: 60 };

  it('doubles the ceiling per attempt up to the maximum', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => backoffCeilingSeconds(policy, a))).toEqual([2, 4, 8, 16, 32, 60, 60]);
  });

  it('draws the delay uniformly in [0, ceiling] (full jitter)', () => {
    expect(backoffDelaySeconds(policy, 3, () => 0)).toBe(0);
    expect(backoffDelaySeconds(policy, 3, () => 0.5)).toBe(4);
    expect(backoffDelaySeconds(policy, 3, () => 0.999999)).toBe(8);
  });

  it('never exceeds the SQS visibility ceiling of 12 hours', () => {
    expect(backoffDelaySeconds({ baseSeconds: 43_200, maxSeconds: 43_200 }, 40, () => 1)).toBe(43_200);
  });
});
