import { jobIdTime, tenantHash } from '../../shared/domain/job-id.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { RecoveryIndex, TenantActivity } from '../../shared/ports/recovery.js';
import type { MemoryJobStore } from './memory-job-store.js';

/** TenantActivity and RecoveryIndex over a MemoryJobStore, with the adapters' semantics. */
export class MemoryRecoveryIndex implements RecoveryIndex, TenantActivity {
  readonly notes = new Set<string>();
  readonly watermarks = new Map<string, Date>();

  constructor(private readonly store: MemoryJobStore) {}

  async note(tenant: string, at: Date): Promise<void> {
    this.notes.add(`${at.toISOString().slice(0, 10)}|${tenantHash(tenant)}`);
  }

  async activeTenantHashes(from: Date, to: Date): Promise<string[]> {
    const first = new Date(from.getTime() - 86_400_000).toISOString().slice(0, 10);
    const last = to.toISOString().slice(0, 10);
    return [...new Set([...this.notes].filter((n) => n.slice(0, 10) >= first && n.slice(0, 10) <= last).map((n) => n.slice(11)))];
  }

  async pendingSends(tenantHashes: readonly string[], from: Date, to: Date): Promise<JobRecord[]> {
    return [...this.store.jobs.values()]
      .filter((job) => tenantHashes.includes(tenantHash(job.tenant)) && job.sendPending !== undefined)
      .filter((job) => {
        const created = Date.parse(jobIdTime(job.jobId)!);
        return created >= from.getTime() && created < to.getTime();
      })
      .map((job) => structuredClone(job))
      .sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
  }

  async dueForSweep(now: Date, limit: number): Promise<{ jobId: string; sweepAt: string }[]> {
    return [...this.store.jobs.values()]
      .filter((job) => job.sweepAt !== undefined && job.sweepAt <= now.toISOString())
      .map((job) => ({ jobId: job.jobId, sweepAt: job.sweepAt! }))
      .sort((a, b) => (a.sweepAt < b.sweepAt ? -1 : 1))
      .slice(0, limit);
  }

  async watermark(pass: string): Promise<Date | undefined> {
    return this.watermarks.get(pass);
  }

  async setWatermark(pass: string, at: Date): Promise<void> {
    this.watermarks.set(pass, at);
  }
}
