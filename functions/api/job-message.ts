import type { JobMessage, JobRecord } from '../../shared/domain/job.js';
import { messageGroupIdOf } from '../../shared/jobs/ordering.js';
import { priorityOf } from '../../shared/jobs/priority.js';

/**
 * The SQS message that carries a job to its worker: its id, type, generation and correlation id (the
 * record holds the rest), and where it goes: its priority lane and its group (the SQS MessageGroupId). In a module of its own: the recovery sweep and the releaser send messages without bundling
 * the job registry that enqueueing needs.
 */
export function messageOf(job: JobRecord): JobMessage {
  // A payload stored apart is not in the record: its priority is (JobData.storePayload).
  const priority = job.payloadRef ? (job.priority ?? 'normal') : priorityOf(job.payload);
  return {
    jobId: job.jobId,
    type: job.type,
    ...(job.generation ? { generation: job.generation } : {}),
    ...(priority !== 'normal' ? { priority } : {}),
    group: messageGroupIdOf(job.tenant, job.groupKey),
    ...(job.correlationId !== undefined ? { correlationId: job.correlationId } : {}),
  };
}
