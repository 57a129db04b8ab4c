import { ConfigurationError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { messageOf } from '../api/job-message.js';
import type { ReleasePlan } from './release-plan.js';

export interface DispatchDeps {
  readonly queue: JobQueue;
  readonly scheduler?: ReleaseScheduler | undefined;
  readonly store: JobStore;
  readonly logger: Logger;
}

/**
 * A held job that no release sent this long after its run time is released by the recovery sweep
 * (EventBridge Scheduler's own retries and failure destinations come first; a duplicate is refused by
 * the conditional claim both go through, functions/recovery/send-once.ts).
 */
export const RELEASE_GRACE_MS = 5 * 60_000;

/**
 * Sends a new job's message as planned: now, with an SQS delay, or to the scheduler to hold.
 * A sent message is confirmed by the consumer's first write (no write here: a fast job costs two
 * writes in all); a held job's schedule is confirmed at once (`pending` → `held`), since its consumer
 * writes only at its run time. Throws when the send or the schedule failed — nothing was sent.
 */
export async function dispatchJob(deps: DispatchDeps, job: JobRecord, plan: ReleasePlan): Promise<void> {
  await sendPlanned(deps, job, plan);
  if (plan.kind !== 'hold') return;
  // The schedule exists now: a failed confirmation leaves `pending`, and the sweep makes the
  // schedule again (the same name: no second one) and confirms it.
  await deps.store.updateSendPending(job.jobId, 'pending', 'held').catch((error: unknown) => {
    deps.logger.warn('held job scheduled, but the schedule could not be confirmed on the record; the recovery sweep will', { jobId: job.jobId, error });
  });
}

/**
 * The send alone: the message now or with an SQS delay, or the schedule (named by job and generation)
 * that releases it. An edit uses it before its own record write, which sets the marker itself.
 */
export async function sendPlanned(deps: Pick<DispatchDeps, 'queue' | 'scheduler'>, job: JobRecord, plan: ReleasePlan): Promise<void> {
  switch (plan.kind) {
    case 'now':
      return deps.queue.send(messageOf(job));
    case 'delay':
      return deps.queue.send(messageOf(job), { delaySeconds: plan.delaySeconds });
    case 'hold':
      if (!deps.scheduler) throw new ConfigurationError('no scheduler is configured for jobs due more than 15 minutes ahead (CONVEYOR_SCHEDULE_GROUP, CONVEYOR_RELEASE_FUNCTION_ARN, CONVEYOR_SCHEDULER_ROLE_ARN)', { dependency: 'scheduler' });
      return deps.scheduler.scheduleRelease(job.jobId, plan.runAt, job.generation ?? 0);
  }
}

/**
 * The record fields a plan adds: `runAt`, for status readers, when the job is not due at once; for a
 * held job the sweep entry that looks for it once its run time has passed unreleased; and with
 * `ttlSeconds`, `startBy`: that long after it is due (now, or its runAt).
 */
export function planFields(plan: ReleasePlan, options: { readonly ttlSeconds?: number | undefined } = {}, now: Date = new Date()): { runAt?: string; sweepAt?: string; startBy?: string } {
  const due = plan.kind === 'now' ? now : plan.runAt;
  return {
    ...(plan.kind === 'now' ? {} : { runAt: plan.runAt.toISOString() }),
    ...(plan.kind === 'hold' ? { sweepAt: sweepAtOf(plan.runAt) } : {}),
    ...(options.ttlSeconds !== undefined ? { startBy: new Date(due.getTime() + options.ttlSeconds * 1000).toISOString() } : {}),
  };
}

/** When the sweep looks for a held job that no release sent. */
export function sweepAtOf(runAt: Date): string {
  return new Date(runAt.getTime() + RELEASE_GRACE_MS).toISOString();
}
