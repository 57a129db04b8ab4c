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
import { sourcesOf } from '../../shared/domain/status.js';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { queueSettingsOf } from '../../shared/jobs/derived.js';
import { expiryOf } from '../../shared/jobs/retention.js';
import { noJobMetrics, type JobMetrics } from '../../shared/ports/job-metrics.js';
import type { ConsumerQueue } from '../../shared/ports/job-queue.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';
import { correlationIdOf } from '../../shared/domain/correlation.js';
import { withLogFields } from '../../shared/logging/scope.js';
import type { Logger } from '../../shared/ports/logger.js';
import { DEFAULT_FLUSH_GRACE_MS, terminalFollowUps, type FollowUpFlusher } from '../follow-ups/follow-ups.js';
import { noTracer, type Tracer } from '../../shared/ports/tracer.js';
import { AttemptWriter } from './attempt-writer.js';
import type { BatchResponse, InvocationContext, JobContext, JobHandler, SqsEventLike, SqsRecordLike } from './context.js';
import { claimMismatch, interpretConflict, interpretDelivery, recordsHolder } from './delivery.js';
import { observationOf } from './job-metrics.js';

export interface JobWorkerDeps {
  readonly store: JobStore;
  readonly queue: ConsumerQueue;
  /** Carries out what a terminal write recorded (the completion webhook) before the message is acknowledged. */
  readonly followUps: FollowUpFlusher;
  readonly logger: Logger;
  /** X-Ray: each record a subsegment annotated with its job and correlation id. */
  readonly tracer?: Tracer;
  /** The handler's signal fires this long before the function deadline. */
  readonly timeoutMarginMs: number;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly runningWriteDelayMs?: number;
  readonly progressIntervalMs?: number;
  /** Waits between tries of a store call that failed (a store blip must not cost an attempt). */
  readonly storeRetryDelaysMs?: readonly number[];
  /** The recovery sweep flushes what this worker did not, this long after the terminal write. */
  readonly flushGraceMs?: number;
  /** Outcome metrics per job type (shared/ports/job-metrics.ts); none by default. */
  readonly metrics?: JobMetrics;
}

/** DynamoDB items cap at 400 KB; keep a result well inside it (large results belong in S3). */
const MAX_RESULT_BYTES = 300 * 1024;

/** What became of one record: acknowledged (deleted from the queue) or reported as failed. */
export type RecordOutcome =
  | { readonly ack: true; readonly reason: 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'poison' | 'dead' | 'dead-lettered' }
  | { readonly ack: false; readonly reason: 'retrying' | 'dead' | 'dead-letter-failed' | 'store-unavailable' | 'superseded' | 'deferred' };

/** The delivery that writes a job: the lease a later receive of the same message may take over. */
interface Holder {
  readonly messageId: string;
  readonly receiveCount: number;
}

/**
 * The consumer of one job type: SQS batch in, `batchItemFailures` out. Per record it claims the
 * job (lazily), runs the handler with a JobContext, and records the outcome with one conditional
 * write that also records the outcome's follow-ups; it then flushes them (`#finish`) before the
 * message is acknowledged. Records are independent: one failing record never fails or re-runs the others.
 */
export class JobWorker<TPayload> {
  readonly #definition: JobDefinition;
  readonly #handler: JobHandler<TPayload>;
  readonly #deps: Required<JobWorkerDeps>;
  readonly #maxReceiveCount: number;

  constructor(definition: JobDefinition, handler: JobHandler<TPayload>, deps: JobWorkerDeps) {
    this.#definition = definition;
    this.#maxReceiveCount = queueSettingsOf(definition).maxReceiveCount;
    this.#handler = handler;
    this.#deps = { tracer: noTracer, now: Date.now, random: Math.random, runningWriteDelayMs: 1_000, progressIntervalMs: 1_000, storeRetryDelaysMs: [50, 250], flushGraceMs: DEFAULT_FLUSH_GRACE_MS, metrics: noJobMetrics, ...deps };
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
    const correlationId = correlationIdOf(record);
    const message = parseMessage(record.body, this.#definition.type);
    if (!message) {
      // Nothing ties this body to a job: retrying cannot help and no record can be updated.
      this.#deps.logger.error('poison message acknowledged', { messageId: record.messageId, type: this.#definition.type, ...(correlationId ? { correlationId } : {}) });
      return { ack: true, reason: 'poison' };
    }
    const receiveCount = Math.max(1, Number(record.attributes.ApproximateReceiveCount ?? '1') || 1);
    const holder: Holder = { messageId: record.messageId, receiveCount };
    // On every line of this record, whoever logs it (the handler, the store's webhook outbox…); the
    // tenant and attempt join once the record is read (#deliver).
    const fields = { jobId: message.jobId, type: message.type, receiveCount, ...(correlationId ? { correlationId } : {}) };
    const logger = this.#deps.logger.child(fields);
    try {
      return await withLogFields(fields, () => this.#deps.tracer.span('job', fields, () => this.#deliver(message, record, holder, deadline, logger)));
    } catch (error) {
      if (error instanceof TransitionConflictError) return this.#afterConflict(message, record, holder, error, logger);
      logger.error('could not record the outcome; the message will be redelivered', { error });
      return { ack: false, reason: 'store-unavailable' };
    }
  }

  /** Reads the record, decides what this delivery means (delivery.ts), and carries it out. */
  async #deliver(message: ReceivedMessage, record: SqsRecordLike, holder: Holder, deadline: number, logger: Logger): Promise<RecordOutcome> {
    const job = await this.#store(() => this.#deps.store.get(message.jobId, { consistent: true }));
    // A consumer that died between a terminal write and its flush left the message unacknowledged:
    // this redelivery finishes what the write recorded, whatever it decides below.
    if (job?.webhookPending !== undefined) await this.#flush(job, logger);
    if (job && !isCurrentMessage(job, message)) {
      // An older copy of a job retried by id (see generationGuard): it must neither run nor come back.
      logger.info('message of an earlier generation acknowledged without a run', { generation: message.generation ?? 0, current: job.generation ?? 0 });
      return { ack: true, reason: 'skipped' };
    }
    const mismatch = job && claimMismatch(job, this.#definition.type, message.claims);
    if (mismatch) {
      // Forged, or corrupted: the record is the truth and will not change, so a redelivery could only
      // repeat this refusal until the redrive policy moved the message into the DLQ, from where a
      // redrive would bring it back. Acknowledge it (delete) and say so once, loudly.
      logger.error('message refused: it disagrees with the job record; acknowledged without a run', { field: mismatch, messageId: record.messageId });
      return { ack: true, reason: 'poison' };
    }
    // The record's tenant and attempt on every line from here on; a run's lines carry the attempt it is.
    const known = job ? { tenant: job.tenant, attempt: job.attempt } : {};
    const started = this.#deps.now();
    let attemptOfDelivery = job?.attempt;
    logger = logger.child(known);
    const decide = async (): Promise<RecordOutcome> => {
    const sentAt = Number(record.attributes.SentTimestamp);
    const { maxAttempts } = this.#definition.settings;
    const decision = interpretDelivery(job, {
      receiveCount: holder.receiveCount,
      messageId: holder.messageId,
      maxAttempts,
      maxReceiveCount: this.#maxReceiveCount,
      timeoutSeconds: this.#definition.settings.timeoutSeconds,
      now: this.#deps.now(),
      ...(Number.isFinite(sentAt) ? { sentAt } : {}),
    });
    switch (decision.action) {
      case 'run':
        attemptOfDelivery = decision.attempt;
        return withLogFields({ attempt: decision.attempt }, () => this.#run(job!, message, record, holder, decision.attempt, deadline, logger.child({ attempt: decision.attempt })));
      case 'ack':
        logger.info('delivery needs no run; acknowledged', { reason: decision.reason, status: job?.status });
        return { ack: true, reason: 'skipped' };
      case 'leave':
        logger.info('a newer delivery holds this job; leaving the message alone', { recordAttempt: job?.attempt });
        return { ack: false, reason: 'superseded' };
      case 'defer':
        if (decision.reason === 'hand-off') logger.info('a DEAD job\'s message came back while its consumer may still be handing it to the DLQ; deferring', { delaySeconds: decision.delaySeconds });
        else logger.warn('record is terminal but a message sent after it ended arrived (redrive before reset?); deferring', { status: job?.status, delaySeconds: decision.delaySeconds });
        await this.#setVisibility(message.type, record, decision.delaySeconds, logger);
        return { ack: false, reason: 'deferred' };
      case 'bury': {
        const attempt = job!.attempt;
        const error = decision.reason === 'attempt-lost'
          ? { code: 'ATTEMPT_LOST', message: `attempt ${attempt} of ${maxAttempts} never finished: its consumer crashed or was killed` }
          : { code: 'RECEIVE_LIMIT', message: `received ${holder.receiveCount} times (the queue allows ${this.#maxReceiveCount}) without an outcome recorded after attempt ${attempt}: its consumer keeps failing before it can record one` };
        logger.error('the job cannot run again; it is DEAD', { error, recordAttempt: attempt });
        await this.#finish(job!, holder, attempt, 'DEAD', { error }, logger);
        return this.#handToDeadLetterQueue(message.type, record, logger, { justDied: true });
      }
      case 'dead-letter':
        logger.warn('a DEAD job\'s message came back before its hand-off to the DLQ was acknowledged; handing it on');
        return this.#handToDeadLetterQueue(message.type, record, logger, { justDied: false });
      case 'cancel':
        await this.#finish(job!, holder, job!.attempt, 'CANCELLED', { error: { code: 'CANCELLED', message: 'cancelled by request' } }, logger);
        return { ack: true, reason: 'cancelled' };
    }
    };
    const outcome = await withLogFields(known, decide);
    // One line per delivery: what became of it (the job's step in its story, by its correlation id).
    logger.info('delivery done', { outcome: outcome.reason, acknowledged: outcome.ack, durationMs: this.#deps.now() - started, ...(attemptOfDelivery !== undefined ? { attempt: attemptOfDelivery } : {}) });
    return outcome;
  }

  /** A conditional write lost: re-read and acknowledge only if the job needs no message any more. */
  async #afterConflict(message: JobMessage, record: SqsRecordLike, holder: Holder, conflict: TransitionConflictError, logger: Logger): Promise<RecordOutcome> {
    let job: JobRecord | undefined;
    try {
      job = await this.#store(() => this.#deps.store.get(message.jobId, { consistent: true }));
    } catch (error) {
      logger.error('conflict, and the record could not be re-read; the message will be redelivered', { error });
      return { ack: false, reason: 'store-unavailable' };
    }
    // The write may have landed after all (its answer lost): finish what it recorded before acknowledging.
    if (job?.webhookPending !== undefined) await this.#flush(job, logger);
    const verdict = interpretConflict(job, holder.messageId, holder.receiveCount);
    if (verdict === 'ack') {
      logger.info('stale or duplicate delivery acknowledged', { reason: conflict.message, status: job?.status });
      return { ack: true, reason: 'skipped' };
    }
    // This very delivery recorded DEAD (its write landed, the answer was lost): its outcome, counted as such.
    if (verdict === 'dead-letter') return this.#handToDeadLetterQueue(message.type, record, logger, { justDied: true });
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

  async #run(job: JobRecord, message: JobMessage, record: SqsRecordLike, holder: Holder, attempt: number, deadline: number, logger: Logger): Promise<RecordOutcome> {
    const { store } = this.#deps;
    const parsed = this.#definition.payload.safeParse(job.payload);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      await this.#finish(job, holder, attempt, 'FAILED', { error: { code: 'VALIDATION_FAILED', message: `payload does not match the schema — ${issues}` } }, logger);
      return { ack: true, reason: 'failed' };
    }

    // A lazy claim records nothing for the first `runningWriteDelayMs`: if this consumer dies within
    // that second (a crash, an OOM kill), the run is not recorded and the next delivery runs the same
    // attempt number again. That is the price of one write per fast job (DESIGN.md "Cost matters"). It
    // is bounded: a run that lives past the delay is recorded RUNNING and counts, and a message whose
    // consumers keep dying sooner is buried at the queue's receive limit (`receive-limit`, derived.ts).
    const controller = new AbortController();
    const writer = new AttemptWriter({
      store,
      jobId: message.jobId,
      attempt,
      holder,
      now: this.#deps.now,
      runningWriteDelayMs: this.#deps.runningWriteDelayMs,
      progressIntervalMs: this.#deps.progressIntervalMs,
      onStop: (reason) => controller.abort(reason),
      // Redrive/retry seam: only the job's current message may record (see generationGuard).
      guard: generationGuard(message),
      retryDelaysMs: this.#deps.storeRetryDelaysMs,
    });
    if (this.#definition.settings.claim === 'eager') await writer.claim();
    else writer.start();

    const budget = Math.max(0, deadline - this.#deps.now() - this.#deps.timeoutMarginMs);
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(`job exceeded its time budget of ${budget} ms`)), budget);
    const context: JobContext = {
      jobId: job.jobId,
      tenant: job.tenant,
      type: job.type,
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

    if (failure === undefined) return this.#succeed(job, holder, attempt, writer, result, logger);
    return this.#fail(job, message, record, holder, attempt, writer, failure, logger);
  }

  async #succeed(job: JobRecord, holder: Holder, attempt: number, writer: AttemptWriter, result: unknown, logger: Logger): Promise<RecordOutcome> {
    const size = Buffer.byteLength(JSON.stringify(result ?? null), 'utf8');
    if (size > MAX_RESULT_BYTES) {
      await this.#finish(job, holder, attempt, 'FAILED', { error: { code: 'RESULT_TOO_LARGE', message: `result is ${size} bytes; the limit is ${MAX_RESULT_BYTES}` } }, logger, writer);
      return { ack: true, reason: 'failed' };
    }
    await this.#finish(job, holder, attempt, 'SUCCEEDED', { result: result ?? null, progress: 100 }, logger, writer);
    return { ack: true, reason: 'succeeded' };
  }

  async #fail(job: JobRecord, message: JobMessage, record: SqsRecordLike, holder: Holder, attempt: number, writer: AttemptWriter, failure: unknown, logger: Logger): Promise<RecordOutcome> {
    if (failure instanceof TransitionConflictError) throw failure;
    const error = toJobError(failure);
    if (failure instanceof JobCancelledError) {
      await this.#finish(job, holder, attempt, 'CANCELLED', { error }, logger, writer);
      return { ack: true, reason: 'cancelled' };
    }
    if (failure instanceof PermanentJobError || failure instanceof JobValidationError) {
      logger.warn('permanent failure', { error: failure });
      await this.#finish(job, holder, attempt, 'FAILED', { error }, logger, writer);
      return { ack: true, reason: 'failed' };
    }
    const { settings } = this.#definition;
    if (attempt >= settings.maxAttempts) {
      // The last attempt: the job is DEAD, and this worker hands its message to the DLQ (the redrive
      // policy is only a safety net: its maxReceiveCount is not the attempt budget).
      logger.warn('last attempt failed; job is DEAD', { error: failure });
      await this.#finish(job, holder, attempt, 'DEAD', { error }, logger, writer);
      return this.#handToDeadLetterQueue(message.type, record, logger, { justDied: true });
    }
    const delaySeconds = backoffDelaySeconds(settings.backoff, attempt, this.#deps.random);
    logger.info('attempt failed; retrying', { error: failure, delaySeconds });
    await this.#store(() => this.#deps.store.transition({
      jobId: message.jobId,
      from: sourcesOf('RETRYING'),
      to: 'RETRYING',
      attemptAtMost: attempt,
      ...writer.guard,
      set: {
        attempt,
        messageId: holder.messageId,
        receiveCount: holder.receiveCount,
        error,
        progress: writer.progress,
        nextAttemptAt: new Date(this.#deps.now() + delaySeconds * 1000).toISOString(),
        ...(writer.runningWritten ? {} : { startedAt: writer.startedAt }),
      },
      // The message arrived: nothing is pending about its send any more.
      remove: ['sendPending', 'sweepAt'],
    }));
    await this.#setVisibility(message.type, record, delaySeconds, logger);
    return { ack: false, reason: 'retrying' };
  }

  /**
   * A terminal transition, in its two steps: (1) one conditional write of the status together with
   * what it owes (the completion webhook, the dead-letter listing — `terminalFollowUps`); (2) the
   * flush of what it owes, before the caller acknowledges the message (or hands it to the DLQ). A
   * consumer that dies between the two leaves the message to come back: the redelivery flushes
   * (`#deliver`), or the recovery sweep does after `flushGraceMs`.
   */
  async #finish(
    job: JobRecord,
    holder: Holder,
    attempt: number,
    to: 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'CANCELLED',
    set: Transition['set'],
    logger: Logger,
    writer?: AttemptWriter,
  ): Promise<void> {
    const now = this.#deps.now();
    const followUps = terminalFollowUps(job, to, new Date(now), {
      dlqRetentionSeconds: queueSettingsOf(this.#definition).dlqRetentionSeconds,
      flushGraceMs: this.#deps.flushGraceMs,
    });
    const written = await this.#store(() => this.#deps.store.transition({
      jobId: job.jobId,
      from: sourcesOf(to),
      to,
      attemptAtMost: attempt,
      ...writer?.guard,
      set: {
        attempt,
        ...(recordsHolder(to) ? { messageId: holder.messageId, receiveCount: holder.receiveCount } : {}),
        finishedAt: new Date(now).toISOString(),
        ttl: expiryOf(this.#definition.settings, to, now),
        ...(writer && !writer.runningWritten ? { startedAt: writer.startedAt } : {}),
        ...(writer ? { progress: writer.progress, ...(writer.message !== undefined ? { progressMessage: writer.message } : {}) } : {}),
        ...set,
        ...followUps.set,
      },
      remove: ['nextAttemptAt', ...(to === 'SUCCEEDED' ? (['error'] as const) : []), ...(recordsHolder(to) ? [] : (['messageId', 'receiveCount'] as const)), ...followUps.remove],
    }));
    await this.#flush(written, logger);
  }

  /** Queues what a terminal write recorded; a failure (logged) leaves the marker for the sweep: the status stands. */
  async #flush(record: JobRecord, logger: Logger): Promise<void> {
    const outcome = await this.#deps.followUps.flush(record);
    if (outcome === 'already-flushed') logger.info('the completion webhook was already flushed by another delivery or the sweep');
  }

  /**
   * A DEAD job's message goes to the DLQ from here, then the message is acknowledged. Its record is
   * already DEAD and names this message, so if the hand-off or the acknowledgement is lost the message
   * comes back, finds the record DEAD and is handed on then (`dead-letter`): never lost, and in the DLQ
   * once unless this consumer dies between the send and the acknowledgement (then twice; a redrive runs
   * the job once, the copy being acknowledged as a duplicate).
   */
  async #handToDeadLetterQueue(type: string, record: SqsRecordLike, logger: Logger, options: { justDied: boolean }): Promise<RecordOutcome> {
    try {
      await this.#deps.queue.deadLetter(type, record.body);
      // `dead` when this delivery recorded the job DEAD (the run's outcome, counted once in the metrics).
      return { ack: true, reason: options.justDied ? 'dead' : 'dead-lettered' };
    } catch (error) {
      logger.error('job is DEAD but its message could not be handed to the DLQ; it will come back and be handed on then', { error });
      return { ack: false, reason: options.justDied ? 'dead' : 'dead-letter-failed' };
    }
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

/** A message body as received: what locates the job, plus whatever else the sender put in it. */
interface ReceivedMessage extends JobMessage {
  readonly claims: Readonly<Record<string, unknown>>;
}

function parseMessage(body: string, expectedType: string): ReceivedMessage | undefined {
  try {
    const value = JSON.parse(body) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const { jobId, type, generation } = value as Record<string, unknown>;
    if (typeof jobId !== 'string' || type !== expectedType) return undefined;
    return { jobId, type, ...(typeof generation === 'number' ? { generation } : {}), claims: value as Record<string, unknown> };
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
 * QUEUED with attempt 0 (and no holder), then moves their DLQ messages back: the redriven delivery
 * runs attempt 1 — the ordinary first-delivery path. A selective retry sends a new message with a bumped generation;
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
