import type { DeadLetterIndex } from '../../shared/ports/dead-letters.js';
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
