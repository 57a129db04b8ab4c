import type { JobRecord } from '../../shared/domain/job.js';
import { resultView } from '../api/result-view.js';
import type { WebhookDelivery } from './delivery.js';

/** Where completion webhooks are queued for delivery (the webhook queue). */
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
