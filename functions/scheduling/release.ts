import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { withLogFields } from '../../shared/logging/scope.js';
import { messageOf } from '../api/job-service.js';

export type ReleaseOutcome = 'released' | 'skipped';

/** The event a one-time schedule delivers to the release function. */
export interface ReleaseEvent {
  readonly jobId: string;
  /** The generation the schedule was made for (absent: 0); an edit since then makes it stale. */
  readonly generation?: number;
}

/**
 * The target of a one-time schedule: puts a held job's message on its queue when it falls due —
 * unless the job is no longer QUEUED (cancelled meanwhile, or gone), in which case nothing is sent.
 * A send failure throws, so the scheduler retries (EventBridge Scheduler's retry policy; the local
 * scheduler's backoff). A duplicate release is harmless: the worker's conditional writes run a job
 * once and acknowledge the stale copy. A release that comes after the job's start-by time (a late
 * schedule, its retries) is sent all the same: the worker records it EXPIRED on delivery, with its
 * webhook, as any job past its ttlSeconds (functions/worker/delivery.ts, `expire`).
 */
export class ScheduledJobReleaser {
  constructor(private readonly deps: { store: JobStore; queue: JobQueue; logger: Logger }) {}

  /** Lambda-shaped handler for the scheduler target. */
  readonly handler = async (event: ReleaseEvent): Promise<{ outcome: ReleaseOutcome }> => ({ outcome: await this.release(event.jobId, event.generation ?? 0) });

  async release(jobId: string, generation = 0): Promise<ReleaseOutcome> {
    const job = await this.deps.store.get(jobId, { consistent: true });
    if (job?.status !== 'QUEUED') {
      this.deps.logger.info('scheduled release skipped: the job is no longer queued', { jobId, status: job?.status ?? 'absent' });
      return 'skipped';
    }
    if ((job.generation ?? 0) !== generation) {
      // An edit moved it (its own schedule or message carries the new generation), or it was retried.
      this.deps.logger.info('scheduled release skipped: the job was edited since it was scheduled', { jobId, generation, current: job.generation ?? 0 });
      return 'skipped';
    }
    // The release carries the job's correlation id on to its message (and so to the consumer's lines).
    await withLogFields(job.correlationId ? { correlationId: job.correlationId } : {}, async () => {
      await this.deps.queue.send(messageOf(job));
      this.deps.logger.info('scheduled job released', { jobId, type: job.type, tenant: job.tenant });
    });
    return 'released';
  }
}
