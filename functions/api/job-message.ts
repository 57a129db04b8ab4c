import type { JobMessage, JobRecord } from '../../shared/domain/job.js';
import { priorityOf } from '../../shared/jobs/priority.js';

/**
 * The SQS message that carries a job to its worker: its id, type, generation and correlation id (the
 * record holds the rest). In a module of its own: the recovery sweep and the releaser send messages without bundling
 * the job registry that enqueueing needs.
 */
export function messageOf(job: JobRecord): JobMessage {
  const priority = priorityOf(job.payload);
  return {
    jobId: job.jobId,
    type: job.type,
    ...(job.generation ? { generation: job.generation } : {}),
    ...(priority !== 'normal' ? { priority } : {}),
    ...(job.correlationId !== undefined ? { correlationId: job.correlationId } : {}),
  };
}
