import { JobFinishedError, TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { canTransition } from '../../shared/domain/status.js';
import type { JobSettings } from '../../shared/jobs/define.js';
import type { JobStore } from '../../shared/ports/job-store.js';

export type CancelOutcome =
  /** QUEUED/RETRYING → CANCELLED: the consumer will skip its message. */
  | { readonly kind: 'cancelled'; readonly job: JobRecord }
  /**
   * RUNNING: flagged; its handler's signal aborts at its next progress write, then it ends CANCELLED. A
   * handler that finishes first did the work: the job ends SUCCEEDED and keeps `cancelRequested`.
   */
  | { readonly kind: 'cancel-requested'; readonly job: JobRecord };

/** A read-then-conditional-write can lose to the worker; a few rounds always settle it. */
const MAX_ROUNDS = 5;

/**
 * Cancels a tenant's job (`DELETE /v1/jobs/{id}`). Returns undefined when there is no such job for the
 * tenant; throws `JobFinishedError` when it already ended. Each write is conditional on the status just
 * read (and its attempt), so a cancel racing the worker either wins cleanly or re-reads and decides again.
 *
 * With lazy RUNNING writes, a job may be running while its record still says QUEUED: it is cancelled at
 * once, its handler's next progress write conflicts and aborts it, and its outcome is never recorded.
 * A job type with `claim: 'eager'` is RUNNING before its handler starts, so it is flagged instead.
 */
export async function cancelJob(
  store: JobStore,
  tenant: string,
  jobId: string,
  options: { readonly now: () => Date; readonly retentionDaysOf: (type: string) => JobSettings['retentionDays'] | undefined },
): Promise<CancelOutcome | undefined> {
  for (let round = 1; ; round++) {
    const job = await store.get(jobId, { tenant, consistent: true });
    if (!job) return undefined;
    if (!canTransition(job.status, 'CANCELLED')) throw new JobFinishedError(jobId, job.status);
    try {
      if (job.status === 'RUNNING') {
        if (job.cancelRequested) return { kind: 'cancel-requested', job };
        return { kind: 'cancel-requested', job: await store.requestCancel(jobId) };
      }
      const now = options.now();
      const days = options.retentionDaysOf(job.type)?.succeeded ?? 7;
      const cancelled = await store.transition({
        jobId,
        // Conditional on the status just read, which the table lets move to CANCELLED (checked above).
        from: [job.status],
        to: 'CANCELLED',
        expectAttempt: job.attempt,
        set: {
          error: { code: 'CANCELLED', message: 'cancelled by request' },
          finishedAt: now.toISOString(),
          ttl: Math.floor(now.getTime() / 1000) + days * 86_400,
        },
        remove: ['nextAttemptAt'],
      });
      return { kind: 'cancelled', job: cancelled };
    } catch (error) {
      if (!(error instanceof TransitionConflictError) || round >= MAX_ROUNDS) throw error;
    }
  }
}
