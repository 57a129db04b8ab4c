import type { JobRecord } from '../../shared/domain/job.js';
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
    payload: job.payload,
    ...(job.result !== undefined ? { result: resultView(job) } : {}),
    ...(job.error !== undefined ? { error: job.error } : {}),
    ...(job.runAt !== undefined ? { runAt: job.runAt } : {}),
    ...(job.callbackUrl !== undefined ? { callbackUrl: job.callbackUrl } : {}),
    ...(job.nextAttemptAt !== undefined ? { nextAttemptAt: job.nextAttemptAt } : {}),
    ...(job.cancelRequested ? { cancelRequested: true } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    ...(job.startedAt !== undefined ? { startedAt: job.startedAt } : {}),
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
    // When retention (DynamoDB TTL) removes the record; reads treat it as gone from then on.
    ...(job.ttl !== undefined ? { expiresAt: new Date(job.ttl * 1000).toISOString() } : {}),
    ...(job.redriveCount ? { redriveCount: job.redriveCount, redrivenAt: job.redrivenAt } : {}),
    ...(job.retryCount ? { retryCount: job.retryCount, retriedAt: job.retriedAt } : {}),
    ...(job.correlationId !== undefined ? { correlationId: job.correlationId } : {}),
  };
}
