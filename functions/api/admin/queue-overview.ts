import { JOB_TYPES, jobRegistry } from '../../../shared/jobs/registry.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import type { JobListing } from '../../../shared/ports/job-listing.js';
import type { QueueAdmin, QueueDepth, RedriveTask } from '../../../shared/ports/queue-admin.js';
import type { QueuePause } from '../../../shared/ports/queue-pauses.js';
import type { RedriveTaskRecord } from '../../../shared/ports/redrive-tasks.js';
import { WEBHOOKS_QUEUE } from '../../../shared/ports/webhook-log.js';

export interface QueueSummary {
  readonly type: string;
  readonly queue: QueueDepth;
  readonly dlq: QueueDepth;
  /**
   * How long the tenant's longest-waiting due job has waited since it became due (within the
   * window); null when none is due. Jobs held for later and retries in backoff are not waiting yet.
   */
  readonly oldestWaitingSeconds: number | null;
  /** The tenant's QUEUED jobs not due yet (delayed or held by the scheduler), within the window. */
  readonly heldJobs: number;
  /** When the soonest of them is due; null when none is held. */
  readonly nextRunAt: string | null;
  /** This tenant's jobs created within the window, by status. */
  readonly counts: Partial<Record<JobStatus, number>>;
  readonly maxAttempts: number;
  /** The type's latest redrive task (its progress), or null. */
  readonly redrive: RedriveTaskRecord | null;
  /** Whether its consumer is paused (jobs wait in the queue), since when and by which key. */
  readonly paused: boolean;
  readonly pausedAt: string | null;
  readonly pausedBy: string | null;
}

export interface QueueOverview {
  readonly queues: readonly QueueSummary[];
  /** The completion webhooks' delivery queue and DLQ (across tenants), where webhooks are configured. */
  readonly webhooks?: { readonly queue: QueueDepth; readonly dlq: QueueDepth; readonly redrive: RedriveTask | null };
  readonly window: { readonly minutes: number; readonly since: string; readonly jobsRead: number; readonly complete: boolean };
}

/**
 * Per job type: SQS depths of the queue and its DLQ (GetQueueAttributes), the latest redrive task, and
 * the caller's jobs over a recent window by status (one bounded read of the tenant's partition).
 * AWS reports the oldest message's age only as a CloudWatch metric; here it is how long the
 * longest-waiting due job in the window has waited, which is what a visible message stands for.
 * Jobs due later (SQS delay, the scheduler's hold) are counted apart, as `heldJobs`.
 */
export async function queueOverview(
  deps: { queues: QueueAdmin; listing: JobListing; redriveStatus: (type: string) => Promise<RedriveTaskRecord | undefined>; pauses?: { paused(): Promise<ReadonlyMap<string, QueuePause>> }; webhooks?: boolean; now?: () => Date },
  tenant: string,
  windowMinutes: number,
): Promise<QueueOverview> {
  const now = (deps.now ?? (() => new Date()))();
  const since = new Date(now.getTime() - windowMinutes * 60_000);
  const queueState = async (name: string) => ({ ...(await deps.queues.depths(name)), redrive: (await deps.queues.latestRedrive(name)) ?? null });
  const [activity, perType, pauses, webhooks] = await Promise.all([
    deps.listing.recentActivity(tenant, since, now),
    Promise.all(JOB_TYPES.map(async (type) => ({ type, ...(await deps.queues.depths(type)), redrive: (await deps.redriveStatus(type)) ?? null }))),
    deps.pauses?.paused() ?? new Map<string, QueuePause>(),
    deps.webhooks ? queueState(WEBHOOKS_QUEUE) : undefined,
  ]);
  return {
    ...(webhooks ? { webhooks } : {}),
    queues: perType.map(({ type, queue, dlq, redrive }) => {
      const oldest = activity.oldestDueAt[type];
      const held = activity.held[type];
      const pause = pauses.get(type);
      return {
        type,
        queue,
        dlq,
        oldestWaitingSeconds: oldest ? Math.max(0, Math.round((now.getTime() - Date.parse(oldest)) / 1000)) : null,
        heldJobs: held?.count ?? 0,
        nextRunAt: held?.nextRunAt ?? null,
        counts: activity.counts[type] ?? {},
        maxAttempts: jobRegistry[type].settings.maxAttempts,
        redrive,
        paused: pause !== undefined,
        pausedAt: pause?.pausedAt ?? null,
        pausedBy: pause?.pausedBy ?? null,
      };
    }),
    window: { minutes: windowMinutes, since: since.toISOString(), jobsRead: activity.scanned, complete: activity.complete },
  };
}
