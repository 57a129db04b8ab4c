import { ConveyorError, DependencyUnavailableError, RedriveInProgressError, TransitionConflictError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { JobStore, Transition } from '../../../shared/ports/job-store.js';
import type { JobData } from '../../job-data/job-data.js';
import type { Logger } from '../../../shared/ports/logger.js';
import type { QueueAdmin, QueueDepth, RedriveTask } from '../../../shared/ports/queue-admin.js';
import { deadLetterUntil, FollowUpFlusher } from '../../follow-ups/follow-ups.js';
import { messageOf } from '../job-service.js';

export interface DeadLetterServiceDeps {
  readonly store: JobStore;
  readonly deadLetters: DeadLetterIndex;
  readonly queues: QueueAdmin;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** Flushes the webhook a DEAD or FAILED job still owes before it is put back to QUEUED. */
  readonly followUps?: FollowUpFlusher;
  /** How long a DLQ keeps a message: a job put back to DEAD is listed again until then. */
  readonly dlqRetentionSeconds: number;
  /** A requeued job whose message has not arrived this long after is sent again by the recovery sweep. */
  readonly sendGraceMs?: number;
  /** Where payloads over the inline limit live; absent: every payload is inline. */
  readonly jobData?: JobData | undefined;
  readonly now?: () => Date;
}

/** A job that cannot be retried in its current status (only DEAD and FAILED can). */
export class NotRetryableError extends ConveyorError {
  constructor(readonly job: JobRecord) {
    super('NOT_RETRYABLE', `job ${job.jobId} is ${job.status}; only DEAD or FAILED jobs can be retried`);
    this.name = 'NotRetryableError';
  }
}

/** A redrive bigger than one API call can safely requeue (API Gateway answers within 30 s). */
export class RedriveTooLargeError extends ConveyorError {
  constructor(readonly entries: number) {
    super('REDRIVE_TOO_LARGE', `${entries} dead jobs exceed the ${MAX_REDRIVE} one redrive can requeue; retry jobs by id or raise the limit`);
    this.name = 'RedriveTooLargeError';
  }
}

export interface DeadLetterListing {
  readonly type: string;
  readonly dlq: QueueDepth;
  readonly jobs: readonly JobRecord[];
  readonly cursor?: string;
  /** Dead jobs indexed for this type (all pages), to set against the DLQ's message count. */
  readonly deadJobs: number;
}

export interface RedriveOutcome {
  readonly type: string;
  /** DEAD records put back to QUEUED before the move started. */
  readonly requeued: number;
  /** Listed jobs that were no longer DEAD when read (retried meanwhile, expired), or whose owed webhook could not be queued first. */
  readonly stale: number;
  /** DLQ messages when the redrive started. */
  readonly dlqMessages: number;
  readonly task?: RedriveTask;
}

/** One call requeues at most this many records (each a read and a write) before the move starts. */
export const MAX_REDRIVE = 2_000;
const CONCURRENCY = 16;
/** Fields a finished job carries that a job waiting to run again must not (its holder included: a new message runs it). */
// startBy too: a job an operator runs again is not held to the start-by time of its first enqueue.
const FINISHED_FIELDS = ['finishedAt', 'ttl', 'nextAttemptAt', 'cancelRequested', 'result', 'resultRef', 'progressMessage', 'startedAt', 'messageId', 'receiveCount', 'startBy'] as const;
/** A DEAD job's place in the dead-letter listing: the write that takes it out of DEAD removes it. */
const LISTING_FIELDS = ['deadLetterType', 'deadLetterUntil'] as const;
/** A requeued job's message should arrive within this (a redrive's move takes seconds). */
export const DEFAULT_REQUEUE_SEND_GRACE_MS = 5 * 60_000;

/**
 * Dead-letter operations: list a DLQ without touching its messages, redrive it, retry one job.
 *
 * Redrive, in order (so that no message ever arrives for a record that would refuse it):
 * 1. every listed DEAD record of the type goes back to QUEUED with attempt 0 (conditional on DEAD
 *    and on its generation); that same write unlists it and says its message is pending (if the move
 *    never starts and nothing undoes this, the recovery sweep sends the job a fresh message);
 * 2. StartMessageMoveTask moves the DLQ messages back to the type's queue; each arrives for a QUEUED
 *    record at attempt 0 and runs with the type's full attempt budget;
 * 3. if the move cannot start, step 1 is undone: the records return to DEAD, listed again by that write.
 * A job that dies while a redrive is under way may reach the DLQ after the move finished; its record
 * is then QUEUED with its message in the DLQ, and the next redrive moves it.
 *
 * Retry by id: DEAD/FAILED → QUEUED with attempt 0, a new generation and optionally an edited
 * payload, then a new message with that generation. Any older copy (a DLQ message) is inert: every
 * status write of the worker is conditional on the generation of the message it runs.
 */
export class DeadLetterService {
  readonly #deps: Required<Omit<DeadLetterServiceDeps, 'jobData'>> & Pick<DeadLetterServiceDeps, 'jobData'>;

  constructor(deps: DeadLetterServiceDeps) {
    this.#deps = { now: () => new Date(), followUps: new FollowUpFlusher({ store: deps.store, logger: deps.logger }), sendGraceMs: DEFAULT_REQUEUE_SEND_GRACE_MS, ...deps };
  }

  async list(type: string, options: { limit: number; cursor?: string }): Promise<DeadLetterListing> {
    const { deadLetters, queues, store } = this.#deps;
    const [page, depths, deadJobs] = await Promise.all([deadLetters.list(type, options), queues.depths(type), deadLetters.count(type)]);
    const jobs = await mapLimited(page.jobIds, CONCURRENCY, async (jobId) => {
      const job = await store.get(jobId);
      // The record decides: the index is eventually consistent, so a job retried a moment ago may still show.
      return job?.status === 'DEAD' ? job : undefined;
    });
    return { type, dlq: depths.dlq, jobs: jobs.filter((j): j is JobRecord => j !== undefined), deadJobs, ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  async redrive(type: string): Promise<RedriveOutcome> {
    const { queues, logger } = this.#deps;
    const running = await queues.latestRedrive(type);
    if (running?.status === 'RUNNING') throw new RedriveInProgressError(type);
    const dlqMessages = (await queues.depths(type)).dlq.visible;
    // Nothing to move: requeueing records now would leave them QUEUED with no message to run them.
    if (dlqMessages === 0) return { type, requeued: 0, stale: 0, dlqMessages, ...(running ? { task: running } : {}) };

    const jobIds = await allListed(this.#deps.deadLetters, type);
    const requeued: JobRecord[] = [];
    let stale = 0;
    await mapLimited(jobIds, CONCURRENCY, async (jobId) => {
      const before = await this.#requeueForRedrive(jobId);
      if (before) requeued.push(before);
      else stale++;
    });

    try {
      await queues.startRedrive(type);
    } catch (error) {
      logger.error('redrive: the move task did not start; putting the requeued jobs back to DEAD', { type, jobs: requeued.length, error });
      await mapLimited(requeued, CONCURRENCY, (before) => this.#undoRequeue(before));
      throw error;
    }
    const task = await queues.latestRedrive(type);
    logger.info('redrive started', { type, requeued: requeued.length, stale, dlqMessages });
    return { type, requeued: requeued.length, stale, dlqMessages, ...(task ? { task } : {}) };
  }

  redriveStatus(type: string): Promise<RedriveTask | undefined> {
    return this.#deps.queues.latestRedrive(type);
  }

  /** The job of any tenant (operators act across tenants), or undefined. */
  peek(jobId: string): Promise<JobRecord | undefined> {
    return this.#deps.store.get(jobId);
  }

  /**
   * Retries one DEAD or FAILED job; `payload`, when given, has been validated by the caller. With
   * `tenant`, a job of another tenant is treated as missing. The retried job starts clean: no
   * result, no error, no progress. In order: the webhook the job still owes for how it ended is
   * flushed; one write puts it back to QUEUED (unlisting a DEAD job, and saying its new message is
   * pending); the message is sent. If the send fails the job is put back as it was; if this process
   * dies first, the recovery sweep sends it.
   */
  async retry(jobId: string, options: { payload?: unknown; tenant?: string } = {}): Promise<JobRecord | undefined> {
    const { store, queue, followUps } = this.#deps;
    const before = await store.get(jobId, options.tenant !== undefined ? { tenant: options.tenant } : {});
    if (!before) return undefined;
    if (before.status !== 'DEAD' && before.status !== 'FAILED') throw new NotRetryableError(before);
    if ((await followUps.flush(before)) === 'failed') {
      throw new DependencyUnavailableError('sqs', `job ${jobId} still owes its completion webhook, which could not be queued; retry shortly`);
    }
    const now = this.#deps.now();
    const generation = (before.generation ?? 0) + 1;
    const replacement = await this.#payloadForRetry(before, options.payload);
    let after: JobRecord;
    try {
      after = await store.transition({
        jobId,
        from: [before.status],
        to: 'QUEUED',
        expectGeneration: before.generation ?? 0,
        set: {
          attempt: 0,
          progress: 0,
          generation,
          retryCount: (before.retryCount ?? 0) + 1,
          retriedAt: now.toISOString(),
          ...replacement.set,
          ...this.#pendingSend(now),
        },
        remove: [...FINISHED_FIELDS, ...LISTING_FIELDS, 'error', ...replacement.remove],
      });
    } catch (error) {
      // Someone else retried or redrove it in the meantime.
      if (error instanceof TransitionConflictError) throw new NotRetryableError((await store.get(jobId)) ?? before);
      throw error;
    }
    try {
      // Routed by the payload it will run with (priority), which the record may hold apart.
      await queue.send(messageOf(replacement.payload !== undefined ? { ...after, payload: replacement.payload } : after));
    } catch (error) {
      await this.#restore(before, { to: before.status, expectGeneration: generation });
      throw error instanceof ConveyorError ? error : new DependencyUnavailableError('sqs', `retry send failed — ${String(error)}`, { cause: error });
    }
    return after;
  }

  /**
   * How a retry writes the payload: an edited one inline or stored apart (a new object: its key is its
   * digest); an unedited one stored apart is written again, so the bucket's lifecycle rule counts its
   * age from this retry (the retried job may outlive the first object's expiry).
   */
  async #payloadForRetry(before: JobRecord, edited: unknown): Promise<{ set: Transition['set'] & object; remove: ('payload' | 'payloadRef' | 'priority')[]; payload?: unknown }> {
    const { jobData } = this.#deps;
    if (edited === undefined) {
      if (before.payloadRef && jobData) await jobData.refreshPayload(before);
      return { set: {}, remove: [] };
    }
    const { payloadRef: _old, priority: _oldPriority, ...rest } = before;
    const staged = jobData ? await jobData.storePayload({ ...rest, payload: edited }) : { ...rest, payload: edited };
    // Stored apart, the record keeps the edited payload's priority (for routing); inline, the payload says it.
    return staged.payloadRef
      ? { set: { payloadRef: staged.payloadRef, ...(staged.priority ? { priority: staged.priority } : {}) }, remove: ['payload', ...(staged.priority ? [] : (['priority'] as const))], payload: edited }
      : { set: { payload: edited }, remove: ['payloadRef', 'priority'], payload: edited };
  }

  /** A requeued job's message is pending until it arrives; the sweep sends it past the grace. */
  #pendingSend(now: Date): { sendPending: 'pending'; sweepAt: string } {
    return { sendPending: 'pending', sweepAt: new Date(now.getTime() + this.#deps.sendGraceMs).toISOString() };
  }

  /** DEAD → QUEUED for a redrive. Returns the record as it was, or undefined if it was not requeued. */
  async #requeueForRedrive(jobId: string): Promise<JobRecord | undefined> {
    const { store, followUps, logger } = this.#deps;
    const before = await store.get(jobId);
    if (before?.status !== 'DEAD') return undefined;
    if ((await followUps.flush(before)) === 'failed') {
      // Its DLQ message moves back, finds the record DEAD and returns to the DLQ: the next redrive takes it.
      logger.warn('redrive: a dead job still owes its completion webhook, which could not be queued; left DEAD', { jobId });
      return undefined;
    }
    const now = this.#deps.now();
    try {
      await store.transition({
        jobId,
        from: ['DEAD'],
        to: 'QUEUED',
        expectGeneration: before.generation ?? 0,
        // attempt 0: the moved message runs attempt 1 of a fresh budget. The generation stays: the move
        // returns the same message body.
        set: { attempt: 0, progress: 0, redriveCount: (before.redriveCount ?? 0) + 1, redrivenAt: now.toISOString(), ...this.#pendingSend(now) },
        remove: [...FINISHED_FIELDS, ...LISTING_FIELDS],
      });
      return before;
    } catch (error) {
      if (!(error instanceof TransitionConflictError)) throw error;
      return undefined;
    }
  }

  async #undoRequeue(before: JobRecord): Promise<void> {
    await this.#restore(before, { to: 'DEAD', expectGeneration: before.generation ?? 0 }).catch((error: unknown) => {
      this.#deps.logger.error('redrive: could not put a job back to DEAD', { jobId: before.jobId, error });
    });
  }

  /** Puts a job back as it was before a retry/redrive that could not send or move its message. */
  async #restore(before: JobRecord, options: { to: 'DEAD' | 'FAILED'; expectGeneration: number }): Promise<void> {
    const transition: Transition = {
      jobId: before.jobId,
      from: ['QUEUED'],
      to: options.to,
      expectAttempt: 0,
      expectGeneration: options.expectGeneration,
      set: {
        attempt: before.attempt,
        progress: before.progress,
        generation: before.generation ?? 0,
        ...(before.payloadRef ? { payloadRef: before.payloadRef } : { payload: before.payload }),
        ...(before.finishedAt ? { finishedAt: before.finishedAt } : {}),
        ...(before.startedAt ? { startedAt: before.startedAt } : {}),
        ...(before.ttl !== undefined ? { ttl: before.ttl } : {}),
        ...(before.redrivenAt ? { redrivenAt: before.redrivenAt } : {}),
        redriveCount: before.redriveCount ?? 0,
        retryCount: before.retryCount ?? 0,
        ...(before.error ? { error: before.error } : {}),
        ...(before.retriedAt ? { retriedAt: before.retriedAt } : {}),
      },
      // No message was sent or moved: the last-send times must not move either; none is pending.
      remove: [...(before.retriedAt ? [] : (['retriedAt'] as const)), ...(before.redrivenAt ? [] : (['redrivenAt'] as const)), 'sendPending', 'sweepAt', before.payloadRef ? 'payload' : 'payloadRef'],
    };
    // Back to DEAD: the same write lists it again (its webhook for dying was flushed before the requeue).
    if (options.to === 'DEAD') {
      await this.#deps.store.transition({ ...transition, set: { ...transition.set, deadLetterType: before.type, deadLetterUntil: deadLetterUntil(before, this.#deps.dlqRetentionSeconds) } });
    } else {
      await this.#deps.store.transition(transition);
    }
  }
}

/** Every id a listing holds, for a redrive: refused past MAX_REDRIVE. */
export async function allListed(deadLetters: DeadLetterIndex, type: string): Promise<string[]> {
  const total = await deadLetters.count(type);
  if (total > MAX_REDRIVE) throw new RedriveTooLargeError(total);
  const jobIds: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deadLetters.list(type, { limit: 100, ...(cursor ? { cursor } : {}) });
    jobIds.push(...page.jobIds);
    cursor = page.cursor;
  } while (cursor && jobIds.length < MAX_REDRIVE);
  return jobIds;
}

/** Runs `work` over `items` with at most `limit` at once, keeping order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
