import { ConveyorError, RedriveInProgressError } from '../../../shared/domain/errors.js';
import type { DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import type { Logger } from '../../../shared/ports/logger.js';
import type { QueueAdmin, QueueDepth, RedriveTask } from '../../../shared/ports/queue-admin.js';
import { WEBHOOKS_QUEUE, type WebhookDeadLetterUnlisting } from '../../../shared/ports/webhook-log.js';
import { webhookView, type WebhookView } from '../job-view.js';
import { mapLimited } from '../../redrive/redrive-runner.js';

/** One call unlists at most this many deliveries before the move starts. */
export const MAX_REDRIVE = 2_000;

/** A webhooks redrive bigger than one API call can safely unlist (API Gateway answers within 30 s). */
export class RedriveTooLargeError extends ConveyorError {
  constructor(readonly entries: number) {
    super('REDRIVE_TOO_LARGE', `${entries} dead-lettered deliveries exceed the ${MAX_REDRIVE} one redrive can take`);
    this.name = 'RedriveTooLargeError';
  }
}

/** Every id a listing holds, for a redrive: refused past MAX_REDRIVE. */
async function allListed(deadLetters: DeadLetterIndex, queue: string): Promise<string[]> {
  const total = await deadLetters.count(queue);
  if (total > MAX_REDRIVE) throw new RedriveTooLargeError(total);
  const jobIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deadLetters.list(queue, { limit: 100, ...(cursor ? { cursor } : {}) });
    jobIds.push(...page.jobIds);
    cursor = page.cursor;
  } while (cursor && jobIds.length < MAX_REDRIVE);
  return jobIds;
}

export interface WebhookDeadLetterServiceDeps {
  readonly store: JobStore;
  /** The same sparse index as the jobs' dead letters, partition `webhooks`. */
  readonly deadLetters: DeadLetterIndex;
  readonly queues: QueueAdmin;
  readonly listing: WebhookDeadLetterUnlisting;
  readonly logger: Logger;
}

/** One delivery waiting in the webhooks DLQ, as an operator sees it. */
export interface DeadWebhook {
  readonly jobId: string;
  readonly tenant: string;
  readonly type: string;
  readonly callbackUrl: string;
  readonly webhook: WebhookView;
}

export interface WebhookDeadLetterListing {
  readonly dlq: QueueDepth;
  /** Deliveries listed (all pages), to set against the DLQ's message count. */
  readonly deadLettered: number;
  readonly deliveries: readonly DeadWebhook[];
  readonly cursor?: string;
}

export interface WebhookRedriveOutcome {
  /** DLQ messages when the redrive started. */
  readonly dlqMessages: number;
  /** Deliveries taken off the listing (their messages are moving back). */
  readonly unlisted: number;
  readonly task?: RedriveTask;
}

const CONCURRENCY = 16;

/**
 * The webhooks DLQ, operated like a job type's: list it without touching its messages (each
 * delivery the consumer gave up on is listed when it gives up, and the job's record says the rest),
 * and redrive it with StartMessageMoveTask. A moved message is a new message (a new id, a fresh
 * receive count: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html),
 * so it gets the whole retry schedule again; the job's webhook log keeps counting its attempts, and
 * each POST is signed when it is made.
 */
export class WebhookDeadLetterService {
  constructor(private readonly deps: WebhookDeadLetterServiceDeps) {}

  async list(options: { limit: number; cursor?: string }): Promise<WebhookDeadLetterListing> {
    const { deadLetters, queues, store } = this.deps;
    const [page, depths, deadLettered] = await Promise.all([deadLetters.list(WEBHOOKS_QUEUE, options), queues.depths(WEBHOOKS_QUEUE), deadLetters.count(WEBHOOKS_QUEUE)]);
    const records = await store.getMany(page.jobIds);
    const deliveries: DeadWebhook[] = [];
    for (const jobId of page.jobIds) {
      const job = records.get(jobId);
      const { webhook } = job ? webhookView(job) : {};
      // The record decides: a delivery redriven a moment ago may still be listed by the index.
      if (job?.callbackUrl === undefined || webhook?.state !== 'dead-lettered') continue;
      deliveries.push({ jobId, tenant: job.tenant, type: job.type, callbackUrl: job.callbackUrl, webhook });
    }
    return { dlq: depths.dlq, deadLettered, deliveries, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  /**
   * Starts moving every DLQ message back to the webhook queue, then unlists the deliveries it moves
   * (after: a move that cannot start leaves them listed). An entry left behind by a failed unlisting
   * is hidden by the record's state once the delivery is attempted again, and expires with the DLQ.
   */
  async redrive(): Promise<WebhookRedriveOutcome> {
    const { queues, deadLetters, listing, logger } = this.deps;
    const running = await queues.latestRedrive(WEBHOOKS_QUEUE);
    if (running?.status === 'RUNNING') throw new RedriveInProgressError(WEBHOOKS_QUEUE);
    const dlqMessages = (await queues.depths(WEBHOOKS_QUEUE)).dlq.visible;
    if (dlqMessages === 0) return { dlqMessages, unlisted: 0, ...(running ? { task: running } : {}) };
    const jobIds = await allListed(deadLetters, WEBHOOKS_QUEUE);
    await queues.startRedrive(WEBHOOKS_QUEUE);
    const outcomes = await mapLimited(jobIds, CONCURRENCY, (jobId) => listing.unlist(jobId).then(() => true, () => false));
    const unlisted = outcomes.filter(Boolean).length;
    const task = await queues.latestRedrive(WEBHOOKS_QUEUE);
    logger.info('webhook redrive started', { dlqMessages, unlisted });
    return { dlqMessages, unlisted, ...(task ? { task } : {}) };
  }

  redriveStatus(): Promise<RedriveTask | undefined> {
    return this.deps.queues.latestRedrive(WEBHOOKS_QUEUE);
  }
}
