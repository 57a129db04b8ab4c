import { describe, expect, it } from 'vitest';
import { DEFAULT_CHAOS, runChaos } from '../../local/chaos/run.js';

/**
 * The small chaos run inside `npm test` (`npm run chaos` runs 10,000 jobs): every fault at a higher
 * rate than the big run — throttled invocations included — through the real local servers, then the
 * same invariant checks.
 */
describe('E2E: chaos run (small)', () => {
  it('keeps every invariant with 150 jobs and 8 flows under injected faults, crashes before a flush and before a send among them', async () => {
    // Act
    const report = await runChaos({
      ...DEFAULT_CHAOS,
      jobs: 150,
      flows: 8,
      seed: 7,
      maxSeconds: 240,
      rates: { retryable: 0.2, permanent: 0.05, timeout: 0.03, duplicate: 0.1, kill: 0.03, storeErrorAfterEffect: 0.03, lostAnswer: 0.05, throttle: 0.2, killAfterTerminalWrite: 0.05, crashBeforeSend: 0.04 },
      sweep: { graceMs: 15_000, everyMs: 1_000 },
      settings: { ...DEFAULT_CHAOS.settings, timeoutSeconds: 4 },
      timeoutMarginMs: 2_000,
    });

    // Assess
    expect(report.violations).toEqual([]);
    expect(Number(report.figures.jobsAccepted) + Number(report.figures.jobsWrittenButUnanswered)).toBe(150 + Number(report.figures.flowParents) + Number(report.figures.flowChildren) - Number(report.figures.flowMiddleParents));
    // The faults did happen (the fault plan is seeded): retries, permanent failures, duplicates.
    expect(report.figures.injected_retryable).toBeGreaterThan(0);
    expect(report.figures.injected_permanent).toBeGreaterThan(0);
    expect(report.figures.injected_duplicateMessages).toBeGreaterThan(0);
    // Throttled invocations spent receives; no job went DEAD for it, or ran past its attempts (the violations above)
    expect(report.figures.injected_throttledInvocations).toBeGreaterThan(0);
    expect(report.figures.throttledRecords).toBeGreaterThan(0);
    expect(report.figures['status.SUCCEEDED']).toBeGreaterThan(100);
    // A consumer died between a terminal write and its flush, an API between a record and its send; the
    // webhooks and the sends still happened (the invariants above), the sends by the sweep.
    expect(report.figures.injected_killsAfterTerminalWrite).toBeGreaterThan(0);
    expect(report.figures.injected_crashesBeforeSend).toBeGreaterThan(0);
    expect(report.figures.sweep_sent).toBeGreaterThanOrEqual(Number(report.figures.injected_crashesBeforeSend));
    // The flows ran (their invariants are among the violations above: each parent sent once, after its
    // children, each child counted once): parents that ran, and parents failed for a child that always fails.
    expect(report.figures.flowsRequested).toBe(8);
    expect(report.figures.flowParentsSucceeded).toBeGreaterThan(0);
    expect(report.figures.flowParentsChildFailed).toBeGreaterThan(0);
  }, 300_000);

  it('keeps every invariant with 150 jobs in 10 FIFO groups under injected faults: each group one at a time, in enqueue order', async () => {
    // Act
    const report = await runChaos({
      ...DEFAULT_CHAOS,
      jobs: 150,
      seed: 11,
      maxSeconds: 240,
      fifoGroups: 10,
      // No enqueue dies before its send here: the sweep sends such a job after its grace, behind later jobs of its group.
      rates: { retryable: 0.2, permanent: 0.05, timeout: 0.03, duplicate: 0.1, kill: 0.03, storeErrorAfterEffect: 0.03, lostAnswer: 0.05, throttle: 0.2, killAfterTerminalWrite: 0.05, crashBeforeSend: 0 },
      settings: { ...DEFAULT_CHAOS.settings, timeoutSeconds: 4 },
      timeoutMarginMs: 2_000,
    });

    // Assess: no violation (order and one-at-a-time included), and the faults happened
    expect(report.violations).toEqual([]);
    expect(report.figures).toMatchObject({ jobsAccepted: 150, fifoGroups: 10, fifoOrderBreaks: 0 });
    expect(report.figures.injected_retryable).toBeGreaterThan(0);
    expect(report.figures.injected_duplicateMessages).toBeGreaterThan(0);
    expect(report.figures.injected_throttledInvocations).toBeGreaterThan(0);
    expect(report.figures['status.SUCCEEDED']).toBeGreaterThan(100);
  }, 300_000);
});
