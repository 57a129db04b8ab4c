import type { JobRecord } from '../../shared/domain/job.js';
import type { DeadLetterIndex } from '../../shared/ports/dead-letters.js';
import { queuedJob } from './factories.js';
import type { MemoryJobStore } from './memory-job-store.js';

/** The dead-letter listing over a MemoryJobStore, as the sparse index reads the job items. */
export class MemoryDeadLetters implements DeadLetterIndex {
  constructor(private readonly store: MemoryJobStore, private readonly now: () => Date = () => new Date()) {}

  /** Every listed job id of a type, newest first. */
  listed(type: string): string[] {
    const nowSeconds = Math.floor(this.now().getTime() / 1000);
    return [...this.store.jobs.values()]
      .filter((job) => job.deadLetterType === type && (job.deadLetterUntil ?? 0) > nowSeconds)
      .map((job) => job.jobId)
      .sort()
      .reverse();
  }

  async list(type: string, options: { limit: number; cursor?: string }): Promise<{ jobIds: string[]; cursor?: string }> {
    const all = this.listed(type).filter((jobId) => options.cursor === undefined || jobId < options.cursor);
    const page = all.slice(0, options.limit);
    return { jobIds: page, ...(all.length > options.limit ? { cursor: page[page.length - 1]! } : {}) };
  }

  async after(type: string, options: { limit: number; after?: string }): Promise<string[]> {
    return this.listed(type).filter((jobId) => options.after === undefined || jobId < options.after).slice(0, options.limit);
  }

  async count(type: string): Promise<number> {
    return this.listed(type).length;
  }
}

/** A DEAD record as the worker writes it (listed by the attributes of the DEAD write), stored. */
export async function createDeadJob(store: MemoryJobStore, overrides: Partial<JobRecord> = {}): Promise<JobRecord> {
  const job = queuedJob({ status: 'DEAD', attempt: 3, progress: 40, finishedAt: '2026-11-23T10:00:00.000Z', ttl: 2e9, error: { code: 'E', message: 'boom' }, deadLetterType: 'analysis', deadLetterUntil: 2e9, ...overrides });
  await store.create(job);
  return job;
}
