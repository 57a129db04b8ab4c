import {
  DependencyUnavailableError,
  JobCancelledError,
  JobTimeoutError,
  JobValidationError,
  PermanentJobError,
  TransitionConflictError,
} from '../../shared/domain/errors.js';
import type { JobError, JobMessage, JobRecord } from '../../shared/domain/job.js';
import { backoffDelaySeconds } from '../../shared/domain/retry.js';
import { RUNNABLE_STATUSES } from '../../shared/domain/status.js';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { expiryOf } from '../../shared/jobs/retention.js';
import { noJobMetrics, type JobMetrics } from '../../shared/ports/job-metrics.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { AttemptWriter } from './attempt-writer.js';
import type { BatchResponse, InvocationContext, JobContext, JobHandler, SqsEventLike, SqsRecordLike } from './context.js';
import { interpretConflict, interpretDelivery, recordsHolder } from './delivery.js';
import { observationOf } from './job-metrics.js';

export interface JobWorkerDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** The handler's signal fires this long before the function deadline. */
  readonly timeoutMarginMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly runningWriteDelayMs?: number;
  readonly progressIntervalMs?: number;
  /** Waits between tries of a store call that failed (a store blip must not cost an attempt). */
  readonly storeRetryDelaysMs?: readonly number[];
  /** Outcome metrics per job type (shared/ports/job-metrics.ts); none by default. */
  readonly metrics?: JobMetrics;
}

/** DynamoDB items cap at 400 KB; keep a result well inside it (large results belong in S3). */
const MAX_RESULT_BYTES = 300 * 1024;

/** What became of one record: acknowledged (deleted from the queue) or reported as failed. */
export type RecordOutcome =
  | { readonly ack: true; readonly reason: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'poison' }
  | { readonly ack: false; readonly reason: 'retrying' | 'dead' | 'dead-lettered' | 'store-unavailable' | 'superseded' | 'deferred' };

/**
 * The consumer of one job type: SQS batch in, `batchItemFailures` out. Per record it claims the
 * job (lazily), runs the handler with a JobContext, and records the outcome with one conditional
 * write. Records are independent: one failing record never fails or re-runs the others.
 */
export class JobWorker<TPayload> {
  readonly #definition: JobDefinition;
  readonly #handler: JobHandler<TPayload>;
  readonly #deps: Required<JobWorkerDeps>;

  constructor(definition: JobDefinition, handler: JobHandler<TPayload>, deps: JobWorkerDeps) {
    this.#definition = definition;
    this.#handler = handler;
    this.#deps = { now: Date.now, random: Math.random, runningWriteDelayMs: 1_000, progressIntervalMs: 1_000, storeRetryDelaysMs: [50, 250], metrics: noJobMetrics, ...deps };
  }

  /** The Lambda handler: bound, so an entry can export it as is. */
  readonly handler = (event: SqsEventLike, context: InvocationContext): Promise<BatchResponse> => this.processBatch(event, context);

  async processBatch(event: SqsEventLike, context: InvocationContext): Promise<BatchResponse> {
    const deadline = this.#deps.now() + context.getRemainingTimeInMillis();
    const outcomes: (RecordOutcome | undefined)[] = new Array(event.Records.length);
    const all = Promise.all(
      event.Records.map(async (record, index) => {
        const startedAt = this.#deps.now();
        outcomes[index] = await this.processRecord(record, deadline);
        // Outcome metrics, recorded where the outcome is known (job-metrics.ts maps it).
        this.#deps.metrics.record(observationOf(this.#definition.type, record, outcomes[index], startedAt, this.#deps.now()));
      }),
    );
    // The handlers' signals fire `timeoutMarginMs` before the deadline; if the store is so slow that
    // recording still runs past half of that margin, answer anyway. A Lambda that times out fails its
    // whole batch — every record, finished or not, would come back and burn a receive. Answering in
    // time acknowledges the finished ones; only the unfinished are reported (they come back).
    const answerBy = Math.max(0, deadline - this.#deps.now() - this.#deps.timeoutMarginMs / 2);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, answerBy)))]);
    clearTimeout(timer);
    this.#deps.metrics.flush();
    const unfinished = outcomes.filter((o) => o === undefined).length;
    if (unfinished > 0) this.#deps.logger.warn('answering before the deadline with records still recording; they will be redelivered', { unfinished });
    return {
      batchItemFailures: event.Records.flatMap((record, index) => (outcomes[index]?.ack ? [] : [{ itemIdentifier: record.messageId }])),
    };
  }

  async processRecord(record: SqsRecordLike, deadline: number): Promise<RecordOutcome> {
    const message = parseMessage(record.body, this.#definition.type);
    if (!message) {
      // Nothing ties this body to a job: retrying cannot help and no record can be updated.
      this.#deps.logger.error('poison message acknowledged', { messageId: record.messageId, type: this.#definition.type });
      return { ack: true, reason: 'poison' };
    }
    const attempt = Math.max(1, Number(record.attributes.ApproximateReceiveCount ?? '1') || 1);
    const logger = this.#deps.logger.child({ jobId: message.jobId, type: message.type, attempt });
    try {
      return await this.#deliver(message, record, attempt, deadline, logger);
    } catch (error) {
      if (error instanceof TransitionConflictError) return this.#afterConflict(message.jobId, record.messageId, error, logger);
      logger.error('could not record the outcome; the message will be redelivered', { error });
      return { ack: false, reason: 'store-unavailable' };
    }
  }

  /** Reads the record, decides what this delivery means (delivery.ts), and carries it out. */
  async #deliver(message: JobMessage, record: SqsRecordLike, attempt: number, deadline: number, logger: Logger): Promise<RecordOutcome> {
    const job = await this.#store(() => this.#deps.store.get(message.jobId, { consistent: true }));
    if (job && !isCurrentMessage(job, message)) {
      // An older copy of a job retried by id (see generationGuard): it must neither run nor come back.
      logger.info('message of an earlier generation acknowledged without a run', { generation: message.generation ?? 0, current: job.generation ?? 0 });
      return { ack: true, reason: 'skipped' };
    }
    const sentAt = Number(record.attributes.SentTimestamp);
    const decision = interpretDelivery(job, {
      receiveCount: attempt,
      messageId: record.messageId,
      maxAttempts: this.#definition.settings.maxAttempts,
      ...(Number.isFinite(sentAt) ? { sentAt } : {}),
    });
    switch (decision.action) {
      case 'run':
        return this.#run(message, record, attempt, deadline, logger);
      case 'ack':
        logger.info('delivery needs no run; acknowledged', { reason: decision.reason, status: job?.status });
        return { ack: true, reason: 'skipped' };
      case 'leave':
        logger.info('a newer delivery holds this job; leaving the message alone', { recordAttempt: job?.attempt });
        return { ack: false, reason: 'superseded' };
      case 'defer':
        logger.warn('record is terminal but a message sent after it ended arrived (redrive before reset?); deferring', { status: job?.status, delaySeconds: decision.delaySeconds });
        await this.#setVisibility(message.type, record, decision.delaySeconds, logger);
        return { ack: false, reason: 'deferred' };
      case 'bury': {
        const lost = attempt - 1;
        logger.warn('the last attempt never finished (its consumer died); job is DEAD', { recordAttempt: job?.attempt });
        const error = { code: 'ATTEMPT_LOST', message: `attempt ${lost} of ${this.#definition.settings.maxAttempts} never finished: its consumer crashed or was killed` };
        await this.#finish(message.jobId, record.messageId, lost, 'DEAD', { error });
        await this.#setVisibility(message.type, record, 0, logger);
        return { ack: false, reason: 'dead' };
      }
      case 'dead-letter':
        await this.#setVisibility(message.type, record, 0, logger);
        return { ack: false, reason: 'dead-lettered' };
      case 'cancel':
        await this.#finish(message.jobId, record.messageId, attempt, 'CANCELLED', { error: { code: 'CANCELLED', message: 'cancelled by request' } });
        return { ack: true, reason: 'cancelled' };
    }
  }

  /** A conditional write lost: re-read and acknowledge only if the job needs no message any more. */
  async #afterConflict(jobId: string, messageId: string, conflict: TransitionConflictError, logger: Logger): Promise<RecordOutcome> {
    let job: JobRecord | undefined;
    try {
      job = await this.#store(() => this.#deps.store.get(jobId, { consistent: true }));
    } catch (error) {
      logger.error('conflict, and the record could not be re-read; the message will be redelivered', { error });
      return { ack: false, reason: 'store-unavailable' };
    }
    if (interpretConflict(job, messageId) === 'ack') {
      logger.info('stale or duplicate delivery acknowledged', { reason: conflict.message, status: job?.status });
      return { ack: true, reason: 'skipped' };
    }
    logger.info('the job moved on under a newer delivery; leaving the message alone', { reason: conflict.message, status: job?.status });
    return { ack: false, reason: 'superseded' };
  }

  /** A store call, tried again after short waits when the store is unavailable; conflicts are final. */
  async #store<T>(call: () => Promise<T>): Promise<T> {
    for (const delayMs of this.#deps.storeRetryDelaysMs) {
      try {
        return await call();
      } catch (error) {
        if (!(error instanceof DependencyUnavailableError)) throw error;
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
    return call();
  }

  async #run(message: JobMessage, record: SqsRecordLike, attempt: number, deadline: number, logger: Logger): Promise<RecordOutcome> {
    const { store } = this.#deps;
    const parsed = this.#definition.payload.safeParse(message.payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      await this.#finish(message.jobId, record.messageId, attempt, 'FAILED', { error: { code: 'VALIDATION_FAILED', message: `payload does not match the schema — ${issues}` } });
      return { ack: true, reason: 'failed' };
    }

    const controller = new AbortController();
    const writer = new AttemptWriter({
      store,
      jobId: message.jobId,
      attempt,
      messageId: record.messageId,
      now: this.#deps.now,
      runningWriteDelayMs: this.#deps.runningWriteDelayMs,
      progressIntervalMs: this.#deps.progressIntervalMs,
      onStop: (reason) => controller.abort(reason),
      // Redrive/retry seam: only the job's current message may record (see generationGuard).
      guard: generationGuard(message),
    });
    if (this.#definition.settings.claim === 'eager') await writer.claim();
    else writer.start();

    const budget = Math.max(0, deadline - this.#deps.now() - this.#deps.timeoutMarginMs);
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(`job exceeded its time budget of ${budget} ms`)), budget);
    const context: JobContext = {
      jobId: message.jobId,
      tenant: message.tenant,
      type: message.type,
      attempt,
      maxAttempts: this.#definition.settings.maxAttempts,
      signal: controller.signal,
      logger,
      progress: async (percent, progressMessage) => {
        controller.signal.throwIfAborted();
        await writer.report(percent, progressMessage);
        controller.signal.throwIfAborted();
      },
    };

    let result: unknown;
    let failure: unknown;
    try {
      result = await raceAbort(this.#handler(parsed.data as TPayload, context), controller.signal);
    } catch (error) {
      failure = error;
    } finally {
      clearTimeout(timer);
      await writer.close();
    }

    if (failure === undefined) return this.#succeed(message.jobId, record.messageId, attempt, writer, result);
    return this.#fail(message, record, attempt, writer, failure, logger);
  }

  async #succeed(jobId: string, messageId: string, attempt: number, writer: AttemptWriter, result: unknown): Promise<RecordOutcome> {
    const size = Buffer.byteLength(JSON.stringify(result ?? null), 'utf8');
    if (size > MAX_RESULT_BYTES) {
      await this.#finish(jobId, messageId, attempt, 'FAILED', { error: { code: 'RESULT_TOO_LARGE', message: `result is ${size} bytes; the limit is ${MAX_RESULT_BYTES}` } }, writer);
      return { ack: true, reason: 'failed' };
    }
    await this.#finish(jobId, messageId, attempt, 'SUCCEEDED', { result: result ?? null, progress: 100 }, writer);
    return { ack: true, reason: 'succeeded' };
  }

  async #fail(message: JobMessage, record: SqsRecordLike, attempt: number, writer: AttemptWriter, failure: unknown, logger: Logger): Promise<RecordOutcome> {
    if (failure instanceof TransitionConflictError) throw failure;
    const error = toJobError(failure);
    if (failure instanceof JobCancelledError) {
      await this.#finish(message.jobId, record.messageId, attempt, 'CANCELLED', { error }, writer);
      return { ack: true, reason: 'cancelled' };
    }
    if (failure instanceof PermanentJobError || failure instanceof JobValidationError) {
      logger.warn('permanent failure', { error: failure });
      await this.#finish(message.jobId, record.messageId, attempt, 'FAILED', { error }, writer);
      return { ack: true, reason: 'failed' };
    }
    const { settings } = this.#definition;
    if (attempt >= settings.maxAttempts) {
      // The last attempt: the job is DEAD. Visibility 0 brings the message straight back for its
      // bookkeeping receive (maxReceiveCount = maxAttempts + 1), which hands it on (`dead-letter` in
      // delivery.ts); the receive after that moves it to the DLQ by the redrive policy.
      logger.warn('last attempt failed; job is DEAD', { error: failure });
      await this.#finish(message.jobId, record.messageId, attempt, 'DEAD', { error }, writer);
      await this.#setVisibility(message.type, record, 0, logger);
      return { ack: false, reason: 'dead' };
    }
    const delaySeconds = backoffDelaySeconds(settings.backoff, attempt, this.#deps.random);
    logger.info('attempt failed; retrying', { error: failure, delaySeconds });
    await this.#store(() => this.#deps.store.transition({
      jobId: message.jobId,
      from: RUNNABLE_STATUSES,
      to: 'RETRYING',
      attemptAtMost: attempt,
      ...writer.guard,
      set: {
        attempt,
        messageId: record.messageId,
        error,
        progress: writer.progress,
        nextAttemptAt: new Date(this.#deps.now() + delaySeconds * 1000).toISOString(),
        ...(writer.runningWritten ? {} : { startedAt: writer.startedAt }),
      },
    }));
    await this.#setVisibility(message.type, record, delaySeconds, logger);
    return { ack: false, reason: 'retrying' };
  }

  async #finish(
    jobId: string,
    messageId: string,
    attempt: number,
    to: 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'CANCELLED',
    set: Transition['set'],
    writer?: AttemptWriter,
  ): Promise<void> {
    const now = this.#deps.now();
    await this.#store(() => this.#deps.store.transition({
      jobId,
      from: RUNNABLE_STATUSES,
      to,
      attemptAtMost: attempt,
      ...writer?.guard,
      set: {
        attempt,
        ...(recordsHolder(to) ? { messageId } : {}),
        finishedAt: new Date(now).toISOString(),
        ttl: expiryOf(this.#definition.settings, to, now),
        ...(writer && !writer.runningWritten ? { startedAt: writer.startedAt } : {}),
        ...(writer ? { progress: writer.progress, ...(writer.message !== undefined ? { progressMessage: writer.message } : {}) } : {}),
        ...set,
      },
      remove: ['nextAttemptAt', ...(to === 'SUCCEEDED' ? (['error'] as const) : []), ...(recordsHolder(to) ? [] : (['messageId'] as const))],
    }));
  }

  async #setVisibility(type: string, record: SqsRecordLike, seconds: number, logger: Logger): Promise<void> {
    try {
      await this.#deps.queue.changeVisibility(type, record.receiptHandle, seconds, record.eventSourceARN);
    } catch (error) {
      // Not fatal: the message returns after the queue's own visibility timeout instead.
      logger.warn('could not set the retry delay; the queue visibility timeout applies', { error });
    }
  }
}

function parseMessage(body: string, expectedType: string): JobMessage | undefined {
  try {
    const value = JSON.parse(body) as Partial<JobMessage>;
    if (typeof value.jobId !== 'string' || value.type !== expectedType || typeof value.tenant !== 'string') return undefined;
    return value as JobMessage;
  } catch {
    return undefined;
  }
}

function toJobError(error: unknown): JobError {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? error.code : error.name || 'ERROR';
    return { code, message: error.message.slice(0, 1_000) };
  }
  return { code: 'ERROR', message: String(error).slice(0, 1_000) };
}

/** Settles with the handler, or rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * Redrive and selective retry, as the worker sees them. A redrive first puts DEAD records back to
 * QUEUED with attempt 0, then moves their DLQ messages back; SQS resets the receive count on the
 * move, so the redriven delivery arrives as attempt 1 for a QUEUED record at attempt 0 — the
 * ordinary first-delivery path. A selective retry sends a new message with a bumped generation;
 * an older copy of the message (still in the DLQ, redriven later) is acknowledged without a run when
 * the record is read before running, and every status write of a delivery is conditional on the
 * message's generation as well, so such a copy can never record an outcome for the retried job.
 */
function generationGuard(message: JobMessage): Pick<Transition, 'expectGeneration'> {
  return { expectGeneration: generationOf(message) };
}

/** Whether the message is the one the record currently expects (checked on the read before running). */
function isCurrentMessage(job: JobRecord, message: JobMessage): boolean {
  return (job.generation ?? 0) === generationOf(message);
}

function generationOf(message: JobMessage): number {
  return typeof message.generation === 'number' ? message.generation : 0;
}
