import { isCorrelationId } from '../../shared/domain/correlation.js';
import type { RecurringEvent, RecurringJobRunner } from './recurring.js';
import type { ReleaseEvent, ScheduledJobReleaser } from './release.js';

export type SchedulerTargetEvent = ReleaseEvent | RecurringEvent;

/**
 * The one Lambda EventBridge Scheduler invokes: a one-time schedule sends `{"jobId", "generation"?}`
 * (release a held job), a recurring one `{"recurring", "scheduledAt"}` (enqueue that occurrence). A throw makes
 * the scheduler retry.
 */
export function schedulerTarget(deps: { releaser: ScheduledJobReleaser; recurring: RecurringJobRunner }) {
  return async (event: SchedulerTargetEvent, context?: { readonly awsRequestId?: string }): Promise<Record<string, unknown>> => {
    if ('jobId' in event && typeof event.jobId === 'string') {
      const generation = 'generation' in event && typeof event.generation === 'number' ? event.generation : 0;
      return { outcome: await deps.releaser.release(event.jobId, generation) };
    }
    if ('recurring' in event && typeof event.recurring === 'string') {
      const correlationId = isCorrelationId(context?.awsRequestId) ? context.awsRequestId : undefined;
      return { outcome: 'enqueued', ...(await deps.recurring.run(event, { correlationId })) };
    }
    throw new Error(`scheduler target: unrecognised event ${JSON.stringify(event).slice(0, 200)}`);
  };
}
