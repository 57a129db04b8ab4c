import { ReleaseInProgressError } from '../../shared/domain/errors.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { withLogFields } from '../../shared/logging/scope.js';
import { sendOnce } from '../recovery/send-once.js';

export type ReleaseOutcome = 'released' | 'skipped';

/** The event a one-time schedule delivers to the release function. */
export interface ReleaseEvent {
  readonly jobId: string;
  /** The generation the schedule was made for (absent: 0); an edit since then makes it stale. */
  readonly generation?: number;
}

/**
 * The target of a one-time schedule: puts a held job's message on its queue when it falls due —
 * unless the job is no longer QUEUED (cancelled meanwhile, or gone), was already released, or was
 * edited since it was scheduled (its generation moved: the edit made a schedule of its own), in which
 * case nothing is sent. The send goes through one conditional claim on the record (`sendOnce`), shared
 * with the recovery sweep: of a retried invocation, a duplicate one (EventBridge Scheduler delivers at
 * least once) and the sweep, exactly one sends. A failed send or a claim held elsewhere throws, so the
 * scheduler retries; once its retries run out the event goes to the failure destination, and the sweep
 * releases the job (its sweep entry came due a little after its run time). A release that comes after
 * the job's start-by time (a late schedule, its retries) is sent all the same: the worker records it
 * EXPIRED on delivery, with its webhook, as any job past its ttlSeconds (functions/worker/delivery.ts,
 * `expire`).
 */
export class ScheduledJobReleaser {
  constructor(private readonly deps: { store: JobStore; queue: JobQueue; logger: Logger; now?: () => Date }) {}

  /** Lambda-shaped handler for the scheduler target. */
  readonly handler = async (event: ReleaseEvent): Promise<{ outcome: ReleaseOutcome }> => ({ outcome: await this.release(event.jobId, event.generation ?? 0) });

  async release(jobId: string, generation = 0): Promise<ReleaseOutcome> {
    const job = await this.deps.store.get(jobId, { consistent: true });
    if (job?.status !== 'QUEUED' || job.sendPending === undefined) {
      this.deps.logger.info('scheduled release skipped: the job is no longer queued, or was released already', { jobId, status: job?.status ?? 'absent' });
      return 'skipped';
    }
    if ((job.generation ?? 0) !== generation) {
      // An edit moved it (its own schedule or message carries the new generation), or it was retried.
      this.deps.logger.info('scheduled release skipped: the job was edited since it was scheduled', { jobId, generation, current: job.generation ?? 0 });
      return 'skipped';
    }
    // The release carries the job's correlation id on to its message (and so to the consumer's lines).
    return withLogFields(job.correlationId ? { correlationId: job.correlationId } : {}, async () => {
      const outcome = await sendOnce({ ...this.deps, now: this.deps.now ?? (() => new Date()) }, job);
      if (outcome === 'busy') throw new ReleaseInProgressError(jobId);
      if (outcome === 'sent') this.deps.logger.info('scheduled job released', { jobId, type: job.type, tenant: job.tenant });
      return outcome === 'sent' ? 'released' : 'skipped';
    });
  }
}
