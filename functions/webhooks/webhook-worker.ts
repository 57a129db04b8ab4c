import { WEBHOOK_RETRY, webhookDelaySeconds } from '../../shared/domain/retry.js';
import { webhookAttemptKey, type WebhookAttempt, type WebhookState } from '../../shared/domain/webhook-log.js';
import type { WebhookLogStore } from '../../shared/ports/webhook-log.js';
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
  /** Where each attempt is recorded (the job's webhook log) and a dead-lettered delivery listed. */
  readonly log?: WebhookLogStore;
  /** How long the webhooks DLQ keeps a message: how long a dead-lettered delivery stays listed. */
  readonly dlqRetentionSeconds?: number;
  readonly now?: () => Date;
}

/** SQS's maximum retention, the webhooks DLQ's (infra/constructs/WebhookDelivery.ts, local/webhooks.ts). */
export const WEBHOOK_DLQ_RETENTION_SECONDS = 14 * 86_400;

/**
 * The webhook consumer: one POST per record. A 2xx acknowledges; a refusal (4xx other than 408/429,
 * a private address) is logged and dropped — retrying cannot fix it; anything else is retried with
 * full-jitter exponential backoff through the message's visibility, and after the last attempt the
 * queue's redrive policy moves it to the webhook DLQ. Each attempt is recorded on the job's record
 * before the message is acknowledged or put back (a failed record is logged, never blocks delivery);
 * the last failed one also lists the delivery among the webhooks DLQ's, for `conveyor dlq list webhooks`.
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
    const now = (deps.now ?? (() => new Date()))();
    if (result.ok) {
      logger.info('webhook delivered', { status: result.status });
      await recordAttempt(record, delivery, attempt, 'delivered', { at: now.toISOString(), status: result.status }, logger);
      return true;
    }
    const failure = { at: now.toISOString(), ...(result.status !== undefined ? { status: result.status } : { error: result.error ?? 'network' }) };
    if (!result.retry) {
      logger.warn('webhook refused; not retried', { reason: result.reason });
      await recordAttempt(record, delivery, attempt, 'failed', failure, logger);
      return true;
    }
    const last = attempt >= maxAttempts;
    const delay = last ? 0 : webhookDelaySeconds(backoff, attempt, deps.random);
    logger.warn(last ? 'webhook failed on its last attempt; to the DLQ' : 'webhook failed; retrying', { reason: result.reason, delaySeconds: delay });
    await recordAttempt(record, delivery, attempt, last ? 'dead-lettered' : 'pending', last ? failure : { ...failure, nextAttemptAt: new Date(now.getTime() + delay * 1000).toISOString() }, logger);
    await deps.queue.changeVisibility(record.receiptHandle, delay).catch((error: unknown) => logger.warn('could not set the webhook retry delay', { error }));
    return false;
  }

  /** Records the attempt (and lists a dead-lettered delivery); a store that fails is logged, not fatal: the POST happened. */
  async function recordAttempt(record: SqsRecordLike, delivery: WebhookDelivery, receive: number, state: WebhookState, outcome: Omit<WebhookAttempt, 'key'>, logger: Logger): Promise<void> {
    const { log } = deps;
    if (!log) return;
    const finishedAt = delivery.finishedAt ?? finishedAtOf(delivery.body);
    if (finishedAt === undefined) return;
    try {
      const recorded = await log.record({ jobId: delivery.jobId, finishedAt, state, attempt: { key: webhookAttemptKey(record.messageId, receive), ...outcome } });
      if (state === 'dead-lettered' && recorded !== 'missing') {
        const now = Date.parse(outcome.at);
        await log.listDeadLetter(delivery.jobId, Math.floor(now / 1000) + (deps.dlqRetentionSeconds ?? WEBHOOK_DLQ_RETENTION_SECONDS));
      }
    } catch (error) {
      logger.warn('could not record the webhook attempt', { error });
    }
  }
}

/** A delivery queued before messages named their ending: the body's `finishedAt`. */
function finishedAtOf(body: string): string | undefined {
  try {
    const value = (JSON.parse(body) as { finishedAt?: unknown }).finishedAt;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
