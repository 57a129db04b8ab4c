import { describe, expect, it } from 'vitest';
import { progressBar, redrivePercent } from '../../../cli/format.js';

const task = { state: 'REQUEUEING', deadJobs: 10_000, requeued: 0, skipped: 0, failures: 0 };

describe('Function: redrivePercent', () => {
  it('gives the records the first half and the message move the second', () => {
    expect(redrivePercent(task)).toBe(0);
    expect(redrivePercent({ ...task, requeued: 4_000, skipped: 900, failures: 100 })).toBe(25);
    expect(redrivePercent({ ...task, state: 'MOVING', requeued: 10_000, move: { moved: 0, toMove: 0 } })).toBe(50);
    expect(redrivePercent({ ...task, state: 'MOVING', requeued: 10_000, move: { moved: 7_500, toMove: 10_000 } })).toBe(87);
    expect(redrivePercent({ ...task, state: 'COMPLETED', requeued: 10_000 })).toBe(100);
  });

  it('never passes 50 while records are still going back, even when more were listed than counted', () => {
    expect(redrivePercent({ ...task, deadJobs: 10, requeued: 25 })).toBe(50);
    expect(redrivePercent({ ...task, deadJobs: 0 })).toBe(50);
  });

  it('draws the bar of the CLI', () => {
    expect(progressBar(redrivePercent({ ...task, state: 'MOVING', requeued: 10_000, move: { moved: 5_000, toMove: 10_000 } }), 4)).toBe('[███░]  75%');
  });
});
