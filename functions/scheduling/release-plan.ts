import { JobValidationError } from '../../shared/domain/errors.js';
import { MAX_SQS_DELAY_SECONDS, type EnqueueOptions } from '../../shared/jobs/enqueue-options.js';

/** How a new job reaches its queue: at once, with an SQS delay, or held by the scheduler. */
export type ReleasePlan =
  | { readonly kind: 'now' }
  | { readonly kind: 'delay'; readonly delaySeconds: number; readonly runAt: Date }
  | { readonly kind: 'hold'; readonly runAt: Date };

/** A runAt this far in the past is a client's clock skew, run at once; further back is a mistake. */
const PAST_TOLERANCE_MS = 60_000;
/** Schedules further ahead than a year are almost surely a unit error (ms vs s). */
const MAX_AHEAD_MS = 366 * 86_400_000;

/**
 * Decides the plan from `delaySeconds` / `runAt` against the clock, before anything is written.
 * Throws `JobValidationError` (400) naming the field.
 */
export function planRelease(options: EnqueueOptions, now: Date): ReleasePlan {
  if (options.delaySeconds !== undefined && options.runAt !== undefined) {
    throw new JobValidationError('give delaySeconds or runAt, not both', [{ path: 'runAt', message: 'delaySeconds and runAt are mutually exclusive' }]);
  }
  if (options.delaySeconds) {
    return { kind: 'delay', delaySeconds: options.delaySeconds, runAt: new Date(now.getTime() + options.delaySeconds * 1000) };
  }
  if (options.runAt === undefined) return { kind: 'now' };
  const runAt = new Date(options.runAt);
  const aheadMs = runAt.getTime() - now.getTime();
  if (aheadMs < -PAST_TOLERANCE_MS) {
    throw new JobValidationError('runAt is in the past', [{ path: 'runAt', message: `runAt ${options.runAt} is in the past (now is ${now.toISOString()})` }]);
  }
  if (aheadMs > MAX_AHEAD_MS) {
    throw new JobValidationError('runAt is too far ahead', [{ path: 'runAt', message: 'runAt must be within 366 days' }]);
  }
  if (aheadMs <= 0) return { kind: 'now' };
  const delaySeconds = Math.ceil(aheadMs / 1000);
  return delaySeconds <= MAX_SQS_DELAY_SECONDS ? { kind: 'delay', delaySeconds, runAt } : { kind: 'hold', runAt };
}
