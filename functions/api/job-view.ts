import type { JobRecord } from '../../shared/domain/job.js';
import { isPrioritized } from '../../shared/jobs/priority.js';
import { getJobDefinition, isJobType } from '../../shared/jobs/registry.js';
import { routingOf } from './job-service.js';
import { resultView } from './result-view.js';

/** The public shape of a job in API responses: the record less storage internals. */
export function toJobView(job: JobRecord): Record<string, unknown> {
  return {
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    progress: job.progress,
    ...(job.progressMessage !== undefined ? { progressMessage: job.progressMessage } : {}),
    attempt: job.attempt,
    maxAttempts: job.maxAttempts,
    // Inline, or stored apart: then its size and digest here, and a presigned URL in GET /v1/jobs/{id}.
    ...(job.payloadRef ? { payloadRef: job.payloadRef } : { payload: job.payload }),
    // Shown for every job of a type with priorities (normal included), absent for the others.
    ...(isJobType(job.type) && isPrioritized(getJobDefinition(job.type)) ? { priority: routingOf(job).priority ?? 'normal' } : {}),
    ...(job.result !== undefined ? { result: resultView(job) } : {}),
    ...(job.resultRef ? { resultRef: job.resultRef } : {}),
    ...(job.error !== undefined ? { error: job.error } : {}),
    ...(job.runAt !== undefined ? { runAt: job.runAt } : {}),
    // With ttlSeconds: not started by then, the job ends EXPIRED without running.
    ...(job.startBy !== undefined ? { startBy: job.startBy } : {}),
    ...(job.callbackUrl !== undefined ? { callbackUrl: job.callbackUrl } : {}),
    ...(job.groupKey !== undefined ? { groupKey: job.groupKey } : {}),
    ...(job.nextAttemptAt !== undefined ? { nextAttemptAt: job.nextAttemptAt } : {}),
    ...(job.cancelRequested ? { cancelRequested: true } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    // When retention (DynamoDB TTL) removes the finished record; reads treat it as gone from then on.
    // Named apart from `ttlSeconds`/`startBy` (how long a job may wait to start): this is after it ends.
    ...(job.ttl !== undefined ? { retainUntil: new Date(job.ttl * 1000).toISOString() } : {}),
    ...(job.redriveCount ? { redriveCount: job.redriveCount, redrivenAt: job.redrivenAt } : {}),
    ...(job.retryCount ? { retryCount: job.retryCount, retriedAt: job.retriedAt } : {}),
    ...(job.correlationId !== undefined ? { correlationId: job.correlationId } : {}),
  };
}
