import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { JobMessage } from '../../shared/domain/job.js';
import { isFifoQueue } from '../../shared/jobs/derived.js';
import type { ProviderLimit } from '../../shared/jobs/rate-limits.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RateLimiter } from '../../shared/ports/rate-limiter.js';
import type { BatchResponse, InvocationContext, SqsEventLike, SqsRecordLike } from '../worker/context.js';

export type BatchHandler = (event: SqsEventLike, context: InvocationContext) => Promise<BatchResponse>;

export interface ProviderThrottleDeps {
  readonly limiter: RateLimiter;
  readonly limit: ProviderLimit;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly random?: () => number;
}

/** SQS's DelaySeconds ceiling. */
const MAX_DELAY_SECONDS = 900;

/**
 * Wraps a consumer so each record first takes one unit of its provider's budget (e.g. SES sends
 * per second, shared by every concurrent consumer through Upstash). A record over the limit is not
 * run and not failed; it goes back to the queue to come again when the budget has room:
 *
 * No attempt is used either way: attempts are handler runs, counted on the job record.
 * - first delivery (receive count 1): a copy is sent with `DelaySeconds` and the original is
 *   acknowledged. The copy starts at receive count 0, so the queue's safety-net receive count
 *   (derived.ts) is untouched too — a throttled job can wait as long as it must.
 * - a later delivery: the record may name this message as the job's holder (a retry), and a copy has
 *   another message id, which the worker would take for a duplicate; so instead the message's
 *   visibility is set to the wait and the record reported failed. That spends one receive of the
 *   safety net's 10 per attempt.
 * - if sending the copy fails, the visibility path is used.
 *
 * The limiter failing is not the job's fault: records then run (fail open), and the provider's own
 * throttling error becomes an ordinary retryable failure.
 *
 * A FIFO queue takes no per-message delay and its copy would leave the group's order, so there a
 * throttled record always takes the visibility path, and the records after it in its group are held
 * (reported failed, visible again at once) so that none overtakes it (job-worker.ts, FIFO batches).
 */
export function withProviderThrottle(inner: BatchHandler, deps: ProviderThrottleDeps): BatchHandler {
  const random = deps.random ?? Math.random;
  return async (event, context) => {
    const decisions = await decideAll(event.Records);
    const toRun = event.Records.filter((_, i) => decisions[i] === 'run');
    const deferredFailures = event.Records.filter((_, i) => decisions[i] === 'retry-later').map((r) => ({ itemIdentifier: r.messageId }));
    const response = toRun.length ? await inner({ Records: toRun }, context) : { batchItemFailures: [] };
    return { batchItemFailures: [...response.batchItemFailures, ...deferredFailures] };
  };

  type Decision = 'run' | 'requeued' | 'retry-later';

  async function decideAll(records: readonly SqsRecordLike[]): Promise<Decision[]> {
    const fifo = records.filter((record) => isFifoQueue(record.eventSourceARN ?? ''));
    const decisions: Decision[] = await Promise.all(records.map((record) => (isFifoQueue(record.eventSourceARN ?? '') ? 'run' : decide(record))));
    const groups = new Map<string, SqsRecordLike[]>();
    for (const record of fifo) groups.set(record.attributes.MessageGroupId ?? '', [...(groups.get(record.attributes.MessageGroupId ?? '') ?? []), record]);
    await Promise.all([...groups.values()].map(async (group) => {
      for (const [position, record] of group.entries()) {
        const decision = await decide(record);
        decisions[records.indexOf(record)] = decision;
        if (decision === 'run') continue;
        for (const held of group.slice(position + 1)) {
          decisions[records.indexOf(held)] = 'retry-later';
          await deps.queue.changeVisibility(parse(held.body)?.type ?? '', held.receiptHandle, 0, held.eventSourceARN).catch(() => undefined);
        }
        return;
      }
    }));
    return decisions;
  }

  async function decide(record: SqsRecordLike): Promise<Decision> {
    const message = parse(record.body);
    if (!message) return 'run'; // the worker acknowledges poison itself
    const logger = deps.logger.child({ jobId: message.jobId, provider: deps.limit.provider });
    let retryAfterMs: number;
    try {
      const decision = await deps.limiter.take(`provider:${deps.limit.provider}`, deps.limit);
      if (decision.allowed) return 'run';
      retryAfterMs = decision.retryAfterMs;
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      logger.warn('provider rate limiter unavailable; running the job', { error });
      return 'run';
    }
    // Spread the throttled records over the next window instead of returning them all at once.
    const delaySeconds = Math.min(MAX_DELAY_SECONDS, Math.max(1, Math.ceil((retryAfterMs + random() * deps.limit.windowSeconds * 1000) / 1000)));
    const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1') || 1;
    if (receiveCount <= 1 && !isFifoQueue(record.eventSourceARN ?? '')) {
      try {
        // The copy stays in its fair-queue group (the group travels as MessageGroupId, not in the body).
        const group = record.attributes.MessageGroupId;
        await deps.queue.send({ ...message, ...(group ? { group } : {}) }, { delaySeconds });
        logger.info('provider limit reached; job requeued without using an attempt', { delaySeconds });
        return 'requeued';
      } catch (error) {
        logger.warn('could not requeue a throttled job; delaying the delivery instead', { error });
      }
    }
    try {
      await deps.queue.changeVisibility(message.type, record.receiptHandle, delaySeconds, record.eventSourceARN);
    } catch (error) {
      logger.warn('could not delay a throttled delivery; the queue visibility timeout applies', { error });
    }
    logger.info('provider limit reached; delivery delayed', { delaySeconds, receiveCount });
    return 'retry-later';
  }
}

function parse(body: string): JobMessage | undefined {
  try {
    const value = JSON.parse(body) as Partial<JobMessage>;
    return typeof value.jobId === 'string' && typeof value.type === 'string' ? (value as JobMessage) : undefined;
  } catch {
    return undefined;
  }
}
