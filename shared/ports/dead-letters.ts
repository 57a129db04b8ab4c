import type { JobError, JobRecord } from '../domain/job.js';

/** One dead-lettered job as the index knows it (the job record stays the source of truth). */
export interface DeadLetterEntry {
  readonly jobId: string;
  readonly tenant: string;
  readonly type: string;
  readonly attempt: number;
  readonly error?: JobError;
  /** When the job went DEAD (its finishedAt). Identifies this death: a redriven job can die again. */
  readonly deadAt: string;
  /** Epoch seconds after which its DLQ message has surely expired (DLQ retention from the last send). */
  readonly messageExpiresAt: number;
}

/**
 * The dead letters of each job type, across tenants, so that an operator can list a DLQ without
 * receiving (and so disturbing) its messages, and a redrive knows which records to put back.
 */
export interface DeadLetterIndex {
  add(job: JobRecord): Promise<void>;
  list(type: string, options: { limit: number; cursor?: string }): Promise<{ entries: DeadLetterEntry[]; cursor?: string }>;
  /** Removes the entry of this death only (a newer death of the same job is kept). */
  remove(type: string, jobId: string, deadAt: string): Promise<void>;
  /** How many entries a type has (bounded read). */
  count(type: string): Promise<number>;
}
