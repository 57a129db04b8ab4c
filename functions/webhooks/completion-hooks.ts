import type { JobRecord } from '../../shared/domain/job.js';
import { isTerminal } from '../../shared/domain/status.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { withAfterTransition } from '../adapters/after-transition.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { WebhookDelivery } from './delivery.js';
import { resultView } from '../api/result-view.js';

/** Where terminal jobs' webhooks are queued for delivery. */
export interface WebhookOutbox {
  enqueue(delivery: WebhookDelivery): Promise<void>;
}

/** The body POSTed to a job's callbackUrl: its status as `GET /v1/jobs/{id}` would show it, less the payload. */
export function webhookBody(job: JobRecord): string {
  return JSON.stringify({
    event: 'job.finished',
    jobId: job.jobId,
    type: job.type,
    status: job.status,
    attempt: job.attempt,
    ...(job.result !== undefined ? { result: resultView(job) } : {}),
    ...(job.error !== undefined ? { error: job.error } : {}),
    createdAt: job.createdAt,
    ...(job.finishedAt !== undefined ? { finishedAt: job.finishedAt } : {}),
  });
}

/**
 * Wraps a JobStore so that every transition into a terminal state (from the worker, cancellation,
 * or any other writer built through the wiring) queues a webhook for a job with a `callbackUrl`.
 * Only the write that wins the conditional transition gets here, so each terminal state is announced
 * once. Queueing happens after the status is recorded; if it fails, the status stands and the
 * failure is logged (the client can still poll): a webhook is a notification, not the record.
 */
export function withCompletionWebhooks(inner: JobStore, outbox: WebhookOutbox, logger: Logger): JobStore {
  return withAfterTransition(inner, async (record) => {
    if (!isTerminal(record.status) || !record.callbackUrl) return;
    const delivery = { jobId: record.jobId, tenant: record.tenant, callbackUrl: record.callbackUrl, body: webhookBody(record), ...(record.correlationId ? { correlationId: record.correlationId } : {}) };
    await outbox.enqueue(delivery).catch((error: unknown) => {
      logger.error('could not queue the completion webhook; the status is recorded', { jobId: record.jobId, error });
    });
  });
}
