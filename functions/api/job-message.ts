import type { JobMessage, JobRecord } from '../../shared/domain/job.js';

/**
 * The SQS message that carries a job to its worker. In a module of its own: the recovery sweep and the
 * releaser send messages without bundling the job registry that enqueueing needs.
 */
export function messageOf(job: JobRecord): JobMessage {
  return { jobId: job.jobId, type: job.type, tenant: job.tenant, payload: job.payload, enqueuedAt: Date.parse(job.createdAt), ...(job.generation ? { generation: job.generation } : {}) };
}
