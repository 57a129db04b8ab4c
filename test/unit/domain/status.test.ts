import { describe, expect, it } from 'vitest';
import { backoffCeilingSeconds, backoffDelaySeconds } from '../../../shared/domain/retry.js';
import { canTransition, isTerminal, JOB_STATUSES, sourcesOf, type JobStatus } from '../../../shared/domain/status.js';

/**
 * The whole transition table, pair by pair: Y = a conditional write may move a job from the row's
 * status to the column's, · = never. Changing shared/domain/status.ts changes one of these 64 answers.
 * A QUEUED job's edit (PATCH: a new generation) keeps it QUEUED: QUEUED → QUEUED.
 */
const TABLE = `
            QUEUED RUNNING RETRYING SUCCEEDED FAILED DEAD CANCELLED EXPIRED
QUEUED        Y      Y       Y        Y        Y     Y      Y         Y
RUNNING       ·      Y       Y        Y        Y     Y      Y         ·
RETRYING      ·      Y       Y        Y        Y     Y      Y         ·
SUCCEEDED     ·      ·       ·        ·        ·     ·      ·         ·
FAILED        Y      ·       ·        ·        ·     ·      ·         ·
DEAD          Y      ·       ·        ·        ·     ·      ·         ·
CANCELLED     ·      ·       ·        ·        ·     ·      ·         ·
EXPIRED       ·      ·       ·        ·        ·     ·      ·         ·
`;

function pairsOf(table: string): [JobStatus, JobStatus, boolean][] {
  const [header, ...rows] = table.trim().split('\n').map((line) => line.trim().split(/\s+/));
  return rows.flatMap(([from, ...cells]) => cells.map((cell, i) => [from as JobStatus, header![i] as JobStatus, cell === 'Y'] as [JobStatus, JobStatus, boolean]));
}

describe('Module: job state machine', () => {
  it('pins all 64 pairs of the table', () => {
    expect(pairsOf(TABLE)).toHaveLength(JOB_STATUSES.length ** 2);
  });

  it.each(pairsOf(TABLE))('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
    expect(sourcesOf(to).includes(from)).toBe(allowed);
  });

  it('has no way out of SUCCEEDED, CANCELLED or EXPIRED, and only back to QUEUED from FAILED or DEAD', () => {
    for (const to of JOB_STATUSES) {
      expect(canTransition('SUCCEEDED', to)).toBe(false);
      expect(canTransition('CANCELLED', to)).toBe(false);
      expect(canTransition('EXPIRED', to)).toBe(false);
      if (to !== 'QUEUED') expect(canTransition('FAILED', to) || canTransition('DEAD', to)).toBe(false);
    }
    expect(isTerminal('SUCCEEDED')).toBe(true);
    expect(isTerminal('EXPIRED')).toBe(true);
    expect(isTerminal('RETRYING')).toBe(false);
  });

  it('expires only a job that never started: from QUEUED alone', () => {
    expect(sourcesOf('EXPIRED')).toEqual(['QUEUED']);
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
