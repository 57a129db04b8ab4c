import { backoffDelaySeconds, WEBHOOK_RETRY } from '../../shared/domain/retry.js';
import { correlationIdOf } from '../../shared/domain/correlation.js';
import { withLogFields } from '../../shared/logging/scope.js';
import { urlForLog } from '../../shared/logging/redact.js';
import type { Logger } from '../../shared/ports/logger.js';
import { noTracer, type Tracer } from '../../shared/ports/tracer.js';
import type { BatchResponse, SqsEventLike, SqsRecordLike } from '../worker/context.js';
import type { DeliveryResult, WebhookDelivery } from './delivery.js';

export interface WebhookRetryQueue {
  changeVisibility(receiptHandle: string, seconds: number): Promise<void>;
}

export interface WebhookWorkerDeps {
  readonly deliver: (delivery: WebhookDelivery) => Promise<DeliveryResult>;
  readonly queue: WebhookRetryQueue;
  readonly logger: Logger;
  /** Deliveries before the message goes to the webhook DLQ (also the queue's maxReceiveCount). */
  readonly maxAttempts?: number;
  readonly backoff?: { baseSeconds: number; maxSeconds: number };
  readonly random?: () => number;
  /** X-Ray: each delivery a subsegment annotated with its job and correlation id. */
  readonly tracer?: Tracer;
}

/**
 * The webhook consumer: one POST per record. A 2xx acknowledges; a refusal (4xx other than 408/429,
 * a private address) is logged and dropped — retrying cannot fix it; anything else is retried with
 * full-jitter exponential backoff through the message's visibility, and after the last attempt the
 * queue's redrive policy moves it to the webhook DLQ.
 */
export function webhookWorker(deps: WebhookWorkerDeps): (event: SqsEventLike) => Promise<BatchResponse> {
  const maxAttempts = deps.maxAttempts ?? WEBHOOK_RETRY.maxAttempts;
  const backoff = deps.backoff ?? WEBHOOK_RETRY.backoff;
  return async (event) => {
    const outcomes = await Promise.all(event.Records.map((record) => one(record)));
    return { batchItemFailures: event.Records.filter((_, i) => !outcomes[i]).map((r) => ({ itemIdentifier: r.messageId })) };
  };

  async function one(record: SqsRecordLike): Promise<boolean> {
    let delivery: WebhookDelivery;
    try {
      delivery = JSON.parse(record.body) as WebhookDelivery;
    } catch {
      deps.logger.error('webhook: unreadable message dropped', { messageId: record.messageId });
      return true;
    }
    const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount ?? '1') || 1);
    const correlationId = correlationIdOf(record);
    const fields = { jobId: delivery.jobId, tenant: delivery.tenant, attempt, ...(correlationId ? { correlationId } : {}) };
    const logger = deps.logger.child({ ...fields, callbackUrl: urlForLog(delivery.callbackUrl) });
    return withLogFields(fields, () => (deps.tracer ?? noTracer).span('webhook', fields, () => post(record, delivery, attempt, logger)));
  }

  async function post(record: SqsRecordLike, delivery: WebhookDelivery, attempt: number, logger: Logger): Promise<boolean> {
    const result = await deps.deliver(delivery);
    if (result.ok) {
      logger.info('webhook delivered', { status: result.status });
      return true;
    }
    if (!result.retry) {
      logger.warn('webhook refused; not retried', { reason: result.reason });
      return true;
    }
    const delay = attempt >= maxAttempts ? 0 : backoffDelaySeconds(backoff, attempt, deps.random);
    logger.warn(attempt >= maxAttempts ? 'webhook failed on its last attempt; to the DLQ' : 'webhook failed; retrying', { reason: result.reason, delaySeconds: delay });
    await deps.queue.changeVisibility(record.receiptHandle, delay).catch((error: unknown) => logger.warn('could not set the webhook retry delay', { error }));
    return false;
  }
}
