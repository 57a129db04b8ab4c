import type { JobMessage, JobRecord } from '../../shared/domain/job.js';
import { messageGroupIdOf } from '../../shared/jobs/ordering.js';
import { priorityOf } from '../../shared/jobs/priority.js';

/**
 * The SQS message that carries a job to its worker: its id, type, generation and correlation id (the
 * record holds the rest), and where it goes: its priority lane and its group (the SQS MessageGroupId).
 * In a module of its own: the recovery sweep and the releaser send messages without the API's
 * enqueue path.
 */
export function messageOf(job: JobRecord): JobMessage {
  return {
    jobId: job.jobId,
    type: job.type,
    ...(job.generation ? { generation: job.generation } : {}),
    ...routingOf(job),
    group: messageGroupIdOf(job.tenant, job.groupKey),
    ...(job.correlationId !== undefined ? { correlationId: job.correlationId } : {}),
  };
}

/**
 * Which priority queue a job's messages go to: its recorded priority (a payload stored apart keeps
 * it on the record too). A record written before priorities were recorded names it only in its
 * payload (the analyze API's `payload.priority`). That counts only for types with priorities, and
 * the queue knows which those are: a priority without a queue of its own (`<type>:high`) goes to
 * the type's queue (JobQueue.send). So this module needs no job registry, and neither does every
 * consumer that sends a message (flows' parents, releases): their bundles carry only their own type.
 */
export function routingOf(job: JobRecord): Pick<JobMessage, 'priority'> {
  if (job.priority) return { priority: job.priority };
  const fromPayload = priorityOf(job.payload);
  return fromPayload === 'normal' ? {} : { priority: fromPayload };
}
