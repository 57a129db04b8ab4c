import type { JobRecord } from './job.js';

/** The record fields that say when a waiting job may run. */
export type WaitingFields = Pick<JobRecord, 'status' | 'createdAt'> & Partial<Pick<JobRecord, 'updatedAt' | 'runAt' | 'nextAttemptAt' | 'redrivenAt' | 'retriedAt'>>;

/**
 * When a waiting job became (or becomes) due to run, as an ISO time; undefined for a job that is
 * not waiting. A QUEUED job is due from the latest of its creation, its `runAt` (delayed or held by
 * the scheduler) and its last redrive or retry (each sends it again); a RETRYING job once its backoff
 * ends. Queue ages count from here, so a job held until tomorrow does not age while it waits.
 */
export function dueAt(job: WaitingFields): string | undefined {
  if (job.status === 'RETRYING') return job.nextAttemptAt ?? job.updatedAt ?? job.createdAt;
  if (job.status !== 'QUEUED') return undefined;
  let latest = job.createdAt;
  for (const time of [job.runAt, job.redrivenAt, job.retriedAt]) if (time !== undefined && Date.parse(time) > Date.parse(latest)) latest = time;
  return latest;
}
