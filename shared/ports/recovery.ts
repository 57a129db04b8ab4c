import type { JobRecord } from '../domain/job.js';

/**
 * Which tenants enqueued when, so the recovery sweep reads the job partitions of active tenants only
 * (a job's partition follows from its tenant; there is no index over every job to find it by).
 */
export interface TenantActivity {
  /**
   * Notes that `tenant` enqueues at `at`. Called before the record write: every record the sweep must
   * be able to find belongs to a noted tenant. Cheap on repeat (the adapter remembers what it noted).
   */
  note(tenant: string, at: Date): Promise<void>;
}

/** What the recovery sweep reads (functions/recovery/sweep.ts). */
export interface RecoveryIndex {
  /** Hashes of the tenants noted between `from` and `to` (a day early too: a note precedes its records). */
  activeTenantHashes(from: Date, to: Date): Promise<string[]>;
  /** Jobs of these tenant hashes created in [from, to) whose record still says its send is pending. */
  pendingSends(tenantHashes: readonly string[], from: Date, to: Date): Promise<JobRecord[]>;
  /** Jobs whose sweep entry is due (`sweepAt` ≤ now), soonest first, at most `limit`. */
  dueForSweep(now: Date, limit: number): Promise<{ readonly jobId: string; readonly sweepAt: string }[]>;
  /** How far through creation time a pass of the sweep has got. */
  watermark(pass: string): Promise<Date | undefined>;
  setWatermark(pass: string, at: Date): Promise<void>;
}
