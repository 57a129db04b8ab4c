import { randomUUID } from 'node:crypto';
import { ConveyorError, DependencyUnavailableError, RedriveInProgressError, TransitionConflictError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { JobStore, Transition } from '../../../shared/ports/job-store.js';
import type { JobData } from '../../job-data/job-data.js';
import type { Logger } from '../../../shared/ports/logger.js';
import type { QueueAdmin, QueueDepth } from '../../../shared/ports/queue-admin.js';
import type { RedriveNudges, RedriveTaskRecord, RedriveTaskStore } from '../../../shared/ports/redrive-tasks.js';
import { deadLetterUntil, FollowUpFlusher } from '../../follow-ups/follow-ups.js';
import { FINISHED_FIELDS, LISTING_FIELDS, pendingSend } from '../../redrive/dead-job-source.js';
import { DEFAULT_REDRIVE_SETTINGS, mapLimited } from '../../redrive/redrive-runner.js';
import { messageOf } from '../job-service.js';

export interface DeadLetterServiceDeps {
  readonly store: JobStore;
  readonly deadLetters: DeadLetterIndex;
  readonly queues: QueueAdmin;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** Redrive tasks, and the queue whose consumer carries them out. */
  readonly redrives: { readonly tasks: RedriveTaskStore; readonly nudges: RedriveNudges };
  /** Flushes the webhook a DEAD or FAILED job still owes before it is put back to QUEUED. */
  readonly followUps?: FollowUpFlusher;
  /** How long a DLQ keeps a message: a job put back to DEAD is listed again until then. */
  readonly dlqRetentionSeconds: number;
  /** A requeued job whose message has not arrived this long after is sent again by the recovery sweep. */
  readonly sendGraceMs?: number;
  /** Where payloads over the inline limit live; absent: every payload is inline. */
  readonly jobData?: JobData | undefined;
  readonly now?: () => Date;
  readonly newId?: () => string;
}

/** A job that cannot be retried in its current status (only DEAD and FAILED can). */
export class NotRetryableError extends ConveyorError {
  constructor(readonly job: JobRecord) {
    super('NOT_RETRYABLE', `job ${job.jobId} is ${job.status}; only DEAD or FAILED jobs can be retried`);
    this.name = 'NotRetryableError';
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

/** What a redrive request came to: a new task, or a stalled one nudged back into motion. */
export interface RedriveRequest {
  readonly task: RedriveTaskRecord;
  readonly resumed: boolean;
}

const CONCURRENCY = 16;
/** A retried job's message is sent at once: past this the recovery sweep sends it. */
export const DEFAULT_RETRY_SEND_GRACE_MS = 5 * 60_000;

/**
 * Dead-letter operations: list a DLQ without touching its messages, ask for a redrive, retry one job.
 *
 * A redrive is a task (functions/redrive/redrive-runner.ts): the request records it and sends the
 * message that drives it; the redrive consumer puts the DEAD records back in pages, then moves the DLQ's
 * messages. One task per queue at a time; the record is its progress.
 *
 * Retry by id: DEAD/FAILED → QUEUED with attempt 0, a new generation and optionally an edited
 * payload, then a new message with that generation. Any older copy (a DLQ message) is inert: every
 * status write of the worker is conditional on the generation of the message it runs.
 */
export class DeadLetterService {
  readonly #deps: Required<Omit<DeadLetterServiceDeps, 'jobData'>> & Pick<DeadLetterServiceDeps, 'jobData'>;

  constructor(deps: DeadLetterServiceDeps) {
    this.#deps = { now: () => new Date(), newId: () => randomUUID(), followUps: new FollowUpFlusher({ store: deps.store, logger: deps.logger }), sendGraceMs: DEFAULT_RETRY_SEND_GRACE_MS, ...deps };
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

  /**
   * Records a redrive task for `queue` and sends its first nudge; answers at once. While a task is
   * active on the queue this throws RedriveInProgressError — unless that task has stalled (no run holds
   * it and nothing changed for longer than a run lasts: its next nudge was lost), which is then nudged
   * again and returned with `resumed`.
   */
  async requestRedrive(queue: string, options: { requestedBy?: string } = {}): Promise<RedriveRequest> {
    const { queues, deadLetters, redrives, logger } = this.#deps;
    const now = this.#deps.now().toISOString();
    const [depths, deadJobs] = await Promise.all([queues.depths(queue), deadLetters.count(queue)]);
    const task: RedriveTaskRecord = {
      taskId: this.#deps.newId(),
      queue,
      state: 'REQUEUEING',
      createdAt: now,
      updatedAt: now,
      ...(options.requestedBy ? { requestedBy: options.requestedBy } : {}),
      deadJobs,
      dlqMessages: depths.dlq.visible + depths.dlq.inFlight,
      requeued: 0,
      skipped: 0,
      failures: 0,
      pages: 0,
      nudge: this.#deps.newId(),
    };
    try {
      await redrives.tasks.create(task);
    } catch (error) {
      if (!(error instanceof RedriveInProgressError)) throw error;
      const active = await redrives.tasks.get(queue);
      if (!active || !this.#stalled(active)) throw error;
      logger.warn('redrive: the active task had stalled; nudged again', { queue, taskId: active.taskId, updatedAt: active.updatedAt });
      await redrives.nudges.send({ queue, taskId: active.taskId, nudge: active.nudge });
      return { task: active, resumed: true };
    }
    try {
      await redrives.nudges.send({ queue, taskId: task.taskId, nudge: task.nudge });
    } catch (error) {
      // Nothing was done yet: no task stays behind that nothing drives.
      await redrives.tasks.remove(queue, task.taskId).catch((removeError: unknown) => {
        logger.error('redrive: the first nudge was not sent and the task could not be removed; a new request resumes it once it counts as stalled', { queue, taskId: task.taskId, error: removeError });
      });
      throw error instanceof DependencyUnavailableError ? error : new DependencyUnavailableError('sqs', `redrive nudge failed — ${String(error)}`, { cause: error });
    }
    logger.info('redrive requested', { queue, taskId: task.taskId, deadJobs, dlqMessages: task.dlqMessages });
    return { task, resumed: false };
  }

  /** The queue's latest redrive task (its progress), if any. */
  redriveStatus(queue: string): Promise<RedriveTaskRecord | undefined> {
    return this.#deps.redrives.tasks.get(queue);
  }

  #stalled(task: RedriveTaskRecord): boolean {
    const now = this.#deps.now().getTime();
    const leaseFree = !task.leaseUntil || Date.parse(task.leaseUntil) < now;
    return leaseFree && now - Date.parse(task.updatedAt) > DEFAULT_REDRIVE_SETTINGS.stallMs;
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

  /** A retried job's message is pending until it arrives; the sweep sends it past the grace. */
  #pendingSend(now: Date): { sendPending: 'pending'; sweepAt: string } {
    return pendingSend(now, this.#deps.sendGraceMs);
  }

  /** Puts a job back as it was before a retry that could not send its message. */
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
