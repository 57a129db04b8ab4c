import type { JobRecord } from '../domain/job.js';
import type { JobStatus } from '../domain/status.js';

export interface JobListQuery {
  readonly type?: string;
  readonly status?: JobStatus;
  /** 1–100. */
  readonly limit: number;
  /** Opaque, from a previous page; validated by the adapter (a bad one is a JobValidationError). */
  readonly cursor?: string;
}

export interface JobPage {
  readonly jobs: readonly JobRecord[];
  /** Present when more may follow. A page can hold fewer than `limit` jobs when filters skip many. */
  readonly cursor?: string;
}

/** What a recent window of a tenant's jobs holds, per job type. */
export interface RecentActivity {
  readonly counts: Readonly<Record<string, Partial<Record<JobStatus, number>>>>;
  /**
   * Per type, when the job waiting longest became due (shared/domain/waiting.ts `dueAt`): jobs due
   * by `now` only — a job held for later, or a retry in its backoff, is not waiting yet.
   */
  readonly oldestDueAt: Readonly<Record<string, string>>;
  /** Per type, QUEUED jobs whose `runAt` is still ahead (delayed or held by the scheduler), and the soonest. */
  readonly held: Readonly<Record<string, { readonly count: number; readonly nextRunAt: string }>>;
  /** Jobs read; `complete` is false when the read budget ran out before the window did. */
  readonly scanned: number;
  readonly complete: boolean;
}

/**
 * Listing a tenant's jobs, newest first (job ids sort by creation time), from the tenant's own
 * partitions (shared/config/table.ts): never a table scan, never status as a partition key, never
 * another tenant's job. Expired records are never returned, whether or not TTL has deleted them yet.
 */
export interface JobListing {
  list(tenant: string, query: JobListQuery): Promise<JobPage>;
  /** The tenant's jobs created since `since`; due-ness is judged at `now`. */
  recentActivity(tenant: string, since: Date, now: Date): Promise<RecentActivity>;
}
