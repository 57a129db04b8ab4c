import type { JobRecord } from '../../shared/domain/job.js';
import { isTerminal } from '../../shared/domain/status.js';
import type { WebhookAttempt, WebhookState } from '../../shared/domain/webhook-log.js';
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
    ...webhookView(job),
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

export interface WebhookView {
  readonly state: WebhookState;
  readonly finishedAt: string;
  readonly attempts: number;
  readonly nextAttemptAt?: string;
  readonly recent: readonly Omit<WebhookAttempt, 'key'>[];
}

/**
 * The completion webhook's deliveries: the log the webhook consumer keeps on the record; a job that
 * ended and owes one not yet attempted shows it pending with no attempts. The log names the ending it
 * announces, so a job retried since still shows its last webhook's fate.
 */
export function webhookView(job: JobRecord): { webhook?: WebhookView } {
  if (job.callbackUrl === undefined) return {};
  const log = job.webhook;
  if (log && (log.finishedAt === job.finishedAt || !isTerminal(job.status))) {
    const last = log.recent[log.recent.length - 1];
    return {
      webhook: {
        state: log.state,
        finishedAt: log.finishedAt,
        attempts: log.attempts,
        ...(log.state === 'pending' && last?.nextAttemptAt ? { nextAttemptAt: last.nextAttemptAt } : {}),
        recent: log.recent.map(({ key: _key, ...attempt }) => attempt),
      },
    };
  }
  if (!isTerminal(job.status) || job.finishedAt === undefined) return {};
  return { webhook: { state: 'pending', finishedAt: job.finishedAt, attempts: 0, recent: [] } };
}
