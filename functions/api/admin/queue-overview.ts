import { JOB_TYPES, jobRegistry } from '../../../shared/jobs/registry.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import type { JobListing } from '../../../shared/ports/job-listing.js';
import type { QueueAdmin, QueueDepth, RedriveTask } from '../../../shared/ports/queue-admin.js';

export interface QueueSummary {
  readonly type: string;
  readonly queue: QueueDepth;
  readonly dlq: QueueDepth;
  /** Age of the oldest job of this tenant still waiting to run (QUEUED/RETRYING), within the window. */
  readonly oldestWaitingSeconds: number | null;
  /** This tenant's jobs created within the window, by status. */
  readonly counts: Partial<Record<JobStatus, number>>;
  readonly maxAttempts: number;
  readonly redrive: RedriveTask | null;
}

export interface QueueOverview {
  readonly queues: readonly QueueSummary[];
  readonly window: { readonly minutes: number; readonly since: string; readonly jobsRead: number; readonly complete: boolean };
}

/**
 * Per job type: SQS depths of the queue and its DLQ (GetQueueAttributes), the latest redrive, and
 * the caller's jobs over a recent window by status (one bounded read of the tenant's partition).
 * AWS reports the oldest message's age only as a CloudWatch metric; here it is the age of the
 * oldest waiting job in the window, which is what a message in the queue stands for.
 */
export async function queueOverview(deps: { queues: QueueAdmin; listing: JobListing; now?: () => Date }, tenant: string, windowMinutes: number): Promise<QueueOverview> {
  const now = (deps.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - windowMinutes * 60_000);
  const [activity, perType] = await Promise.all([
    deps.listing.recentActivity(tenant, since),
    Promise.all(JOB_TYPES.map(async (type) => ({ type, ...(await deps.queues.depths(type)), redrive: (await deps.queues.latestRedrive(type)) ?? null }))),
  ]);
  return {
    queues: perType.map(({ type, queue, dlq, redrive }) => {
      const oldest = activity.oldestWaiting[type];
      return {
        type,
        queue,
        dlq,
        oldestWaitingSeconds: oldest ? Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000)) : null,
        counts: activity.counts[type] ?? {},
        maxAttempts: jobRegistry[type].settings.maxAttempts,
        redrive,
      };
    }),
    window: { minutes: windowMinutes, since: since.toISOString(), jobsRead: activity.scanned, complete: activity.complete },
  };
}
