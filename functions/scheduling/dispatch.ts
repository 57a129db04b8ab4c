import { ConfigurationError } from '../../shared/domain/errors.js';
import type { JobMessage } from '../../shared/domain/job.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import type { ReleasePlan } from './release-plan.js';

export interface DispatchDeps {
  readonly queue: JobQueue;
  readonly scheduler?: ReleaseScheduler | undefined;
}

/** Sends a new job's message as planned: now, with an SQS delay, or to the scheduler to hold. */
export async function dispatchJob(deps: DispatchDeps, message: JobMessage, plan: ReleasePlan): Promise<void> {
  switch (plan.kind) {
    case 'now':
      return deps.queue.send(message);
    case 'delay':
      return deps.queue.send(message, { delaySeconds: plan.delaySeconds });
    case 'hold':
      if (!deps.scheduler) throw new ConfigurationError('no scheduler is configured for jobs due more than 15 minutes ahead (CONVEYOR_SCHEDULE_GROUP, CONVEYOR_RELEASE_FUNCTION_ARN, CONVEYOR_SCHEDULER_ROLE_ARN)', { dependency: 'scheduler' });
      return deps.scheduler.scheduleRelease(message.jobId, plan.runAt, message.generation ?? 0);
  }
}

/** A JobQueue whose `send` follows the plan — for enqueue paths that only know how to send. */
export function plannedQueue(deps: DispatchDeps, plan: ReleasePlan): JobQueue {
  return {
    send: (message) => dispatchJob(deps, message, plan),
    changeVisibility: (type, receiptHandle, seconds, sourceArn) => deps.queue.changeVisibility(type, receiptHandle, seconds, sourceArn),
  };
}

/**
 * The record fields a plan adds: `runAt`, for status readers, when the job is not due at once; and
 * with `ttlSeconds`, `startBy`: that long after it is due (now, or its runAt).
 */
export function runAtOf(plan: ReleasePlan, options: { readonly ttlSeconds?: number | undefined } = {}, now: Date = new Date()): { runAt?: string; startBy?: string } {
  const due = plan.kind === 'now' ? now : plan.runAt;
  return {
    ...(plan.kind === 'now' ? {} : { runAt: plan.runAt.toISOString() }),
    ...(options.ttlSeconds !== undefined ? { startBy: new Date(due.getTime() + options.ttlSeconds * 1000).toISOString() } : {}),
  };
}
