import {
  JobCancelledError,
  JobTimeoutError,
  JobValidationError,
  PermanentJobError,
  TransitionConflictError,
} from '../../shared/domain/errors.js';
import type { JobError, JobMessage, JobRecord, StoredDataRef } from '../../shared/domain/job.js';
import { backoffDelaySeconds } from '../../shared/domain/retry.js';
import { sourcesOf } from '../../shared/domain/status.js';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { queueSettingsOf } from '../../shared/jobs/derived.js';
import { messageGroupIdOf } from '../../shared/jobs/ordering.js';
import { expiryOf } from '../../shared/jobs/retention.js';
import { noJobMetrics, type JobMetrics } from '../../shared/ports/job-metrics.js';
import type { ConsumerQueue } from '../../shared/ports/job-queue.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';
import { correlationIdOf } from '../../shared/domain/correlation.js';
import { withLogFields } from '../../shared/logging/scope.js';
import type { Logger } from '../../shared/ports/logger.js';
import { DEFAULT_FLUSH_GRACE_MS, terminalFollowUps, type FollowUpFlusher } from '../follow-ups/follow-ups.js';
import { StoredDataMissingError, type JobData } from '../job-data/job-data.js';
import { noTracer, type Tracer } from '../../shared/ports/tracer.js';
import { AttemptWriter } from './attempt-writer.js';
import type { BatchResponse, InvocationContext, JobContext, JobHandler, SqsEventLike, SqsRecordLike } from './context.js';
import { claimMismatch, generationVerdict, interpretConflict, interpretDelivery, recordsHolder } from './delivery.js';
import { observationOf } from './job-metrics.js';
import { retryWhileUnavailable } from './retry-unavailable.js';

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
  /**
   * Payloads and results too large for the record (S3). With it the worker reads a stored payload
   * before the run and stores a large result apart; without it a result must fit in the record.
   */
  readonly jobData?: JobData;
}

/** Without a job-data store, a result must fit in its DynamoDB item (400 KB) with the rest of the record. */
const MAX_INLINE_RESULT_BYTES = 300 * 1024;

/** What became of one record: acknowledged (deleted from the queue) or reported as failed. */
export type RecordOutcome =
  | { readonly ack: true; readonly reason: 'succeeded' | 'failed' | 'cancelled' | 'expired' | 'skipped' | 'poison' | 'dead' | 'dead-lettered' }
  | { readonly ack: false; readonly reason: 'retrying' | 'dead' | 'dead-letter-failed' | 'store-unavailable' | 'superseded' | 'deferred' | 'held' };

/** The delivery that writes a job: the lease a later receive of the same message may take over. */
interface Holder {
  readonly messageId: string;
  readonly receiveCount: number;
}

/**
 * The consumer of one job type: SQS batch in, `batchItemFailures` out. Per record it claims the
 * job (lazily), runs the handler with a JobContext, and records the outcome with one conditional
 * write that also records the outcome's follow-ups; it then flushes them (`#finish`) before the
 * message is acknowledged. Records are independent: one failing record never fails or re-runs the others
 * — except on a FIFO type, where a group's records run one after another and the first that does not
 * finish holds the rest of its group (see `#inGroupOrder`).
 */
export class JobWorker<TPayload> {
  readonly #definition: JobDefinition;
  readonly #handler: JobHandler<TPayload>;
  readonly #deps: Required<Omit<JobWorkerDeps, 'jobData'>>;
  readonly #jobData: JobData | undefined;
  readonly #maxReceiveCount: number;

  constructor(definition: JobDefinition, handler: JobHandler<TPayload>, deps: JobWorkerDeps) {
    this.#definition = definition;
    this.#maxReceiveCount = queueSettingsOf(definition).maxReceiveCount;
    this.#handler = handler;
    const { jobData, ...rest } = deps;
    this.#deps = { tracer: noTracer, now: Date.now, random: Math.random, runningWriteDelayMs: 1_000, progressIntervalMs: 1_000, storeRetryDelaysMs: [50, 250], flushGraceMs: DEFAULT_FLUSH_GRACE_MS, metrics: noJobMetrics, ...rest };
    this.#jobData = jobData;
  }

  /** The Lambda handler: bound, so an entry can export it as is. */
  readonly handler = (event: SqsEventLike, context: InvocationContext): Promise<BatchResponse> => this.processBatch(event, context);

  async processBatch(event: SqsEventLike, context: InvocationContext): Promise<BatchResponse> {
    const deadline = this.#deps.now() + context.getRemainingTimeInMillis();
    const outcomes: (RecordOutcome | undefined)[] = new Array(event.Records.length);
    const batch = { answered: false };
    // A FIFO group's records run one after another, maybe long after a batch read would have been
    // made: each reads its own record just before it runs. Other batches read all theirs at once.
    const fifo = this.#definition.settings.ordering === 'fifo';
    const all = (async () => {
      // All of a batch's records start together (their batch read included); a FIFO record when its turn comes.
      const batchStartedAt = this.#deps.now();
      const records = fifo ? undefined : await this.#readBatch(event.Records);
      const runOne = async (index: number): Promise<RecordOutcome> => {
        const record = event.Records[index]!;
        const startedAt = fifo ? this.#deps.now() : batchStartedAt;
        const outcome = await this.processRecord(record, deadline, records);
        outcomes[index] = outcome;
        // Outcome metrics, recorded where the outcome is known (job-metrics.ts maps it).
        this.#deps.metrics.record(observationOf(this.#definition.type, record, outcome, startedAt, this.#deps.now()));
        return outcome;
      };
      await (fifo ? this.#inGroupOrder(event.Records, runOne, outcomes, batch) : Promise.all(event.Records.map((_, index) => runOne(index))));
    })();
    // The handlers' signals fire `timeoutMarginMs` before the deadline; if the store is so slow that
    // recording still runs past half of that margin, answer anyway. A Lambda that times out fails its
    // whole batch — every record, finished or not, would come back and burn a receive. Answering in
    // time acknowledges the finished ones; only the unfinished are reported (they come back).
    const answerBy = Math.max(0, deadline - this.#deps.now() - this.#deps.timeoutMarginMs / 2);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise<void>((resolve) => (timer = setTimeout(resolve, answerBy)))]);
    clearTimeout(timer);
    batch.answered = true;
    this.#deps.metrics.flush();
    const unfinished = outcomes.filter((o) => o === undefined).length;
    if (unfinished > 0) this.#deps.logger.warn('answering before the deadline with records still recording; they will be redelivered', { unfinished });
    return {
      batchItemFailures: event.Records.flatMap((record, index) => (outcomes[index]?.ack ? [] : [{ itemIdentifier: record.messageId }])),
    };
  }

  /**
   * The records of a batch's jobs in one consistent read (BatchGetItem on DynamoDB) instead of one
   * GetItem per message: one call per batch, so the consumer's duration falls (the read units are the
   * same). The read cannot be skipped: the record, not the message, carries the payload and tenant,
   * and it decides whether this delivery may run at all. If the batch read fails, each record is
   * read on its own (undefined here), so a blip costs no attempt.
   */
  async #readBatch(records: readonly SqsRecordLike[]): Promise<ReadonlyMap<string, JobRecord> | undefined> {
    const jobIds = [...new Set(records.flatMap((record) => parseMessage(record.body, this.#definition.type)?.jobId ?? []))];
    if (jobIds.length === 0) return new Map();
    try {
      return await this.#store(() => this.#deps.store.getMany(jobIds, { consistent: true }));
    } catch (error) {
      this.#deps.logger.warn('could not read the batch\'s records at once; reading each on its own', { jobs: jobIds.length, error });
      return undefined;
    }
  }

  /**
   * A FIFO batch: SQS hands Lambda each group's messages in order ("each batch may contain messages from
   * more than one message group, but the order of the messages is maintained", services-sqs-scaling), and
   * Lambda leaves the rest to the function: "If you're using this feature with a FIFO queue, your function
   * should stop processing messages after the first failure and return all failed and unprocessed messages
   * in batchItemFailures" (services-sqs-errorhandling). So each group runs its records one after another;
   * the first record that is not acknowledged (a retry, a store outage…) holds the records after it in its
   * group: reported failed without a run, and made visible again at once, so the group waits only for its
   * head (a retry's backoff), not for their visibility timeout — SQS delivers none of them while the head is
   * in flight, and the head first. Other groups go on (Powertools' `skipGroupOnError`).
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html
   * https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
   */
  async #inGroupOrder(
    records: readonly SqsRecordLike[],
    runOne: (index: number) => Promise<RecordOutcome>,
    outcomes: (RecordOutcome | undefined)[],
    batch: { readonly answered: boolean },
  ): Promise<void> {
    const groups = new Map<string, number[]>();
    records.forEach((record, index) => {
      const group = record.attributes.MessageGroupId ?? '';
      groups.set(group, [...(groups.get(group) ?? []), index]);
    });
    await Promise.all([...groups.values()].map(async (indexes) => {
      for (const [position, index] of indexes.entries()) {
        // Once the batch has answered, every record without an outcome was reported failed and may be
        // delivered again: running one now could overlap its next delivery, out of order.
        if (batch.answered) return;
        const outcome = await runOne(index);
        if (outcome.ack) continue;
        const held = indexes.slice(position + 1);
        for (const later of held) outcomes[later] = { ack: false, reason: 'held' };
        await this.#makeVisible(held.map((later) => records[later]!));
        return;
      }
    }));
  }

  /** Held records go back to their queue now (visibility 0); if that fails they return after their visibility timeout. */
  async #makeVisible(records: readonly SqsRecordLike[]): Promise<void> {
    await Promise.all(records.map(async (record) => {
      try {
        await this.#deps.queue.changeVisibility(this.#definition.type, record.receiptHandle, 0, record.eventSourceARN);
      } catch (error) {
        this.#deps.logger.warn('could not return a held FIFO message at once; it returns after its visibility timeout', { messageId: record.messageId, error });
      }
    }));
  }

  /** `records`: the batch's records read beforehand (absent: this delivery reads its own). */
  async processRecord(record: SqsRecordLike, deadline: number, records?: ReadonlyMap<string, JobRecord>): Promise<RecordOutcome> {
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
      return await withLogFields(fields, () => this.#deps.tracer.span('job', fields, () => this.#deliver(message, record, holder, deadline, logger, records)));
    } catch (error) {
      if (error instanceof TransitionConflictError) return this.#afterConflict(message, record, holder, error, logger);
      logger.error('could not record the outcome; the message will be redelivered', { error });
      return { ack: false, reason: 'store-unavailable' };
    }
  }

  /** Reads the record, decides what this delivery means (delivery.ts), and carries it out. */
  async #deliver(message: ReceivedMessage, record: SqsRecordLike, holder: Holder, deadline: number, logger: Logger, records: ReadonlyMap<string, JobRecord> | undefined): Promise<RecordOutcome> {
    const job = records ? records.get(message.jobId) : await this.#store(() => this.#deps.store.get(message.jobId, { consistent: true }));
    // A consumer that died between a terminal write and its flush left the message unacknowledged:
    // this redelivery finishes what the write recorded, whatever it decides below — before the
    // generation verdicts, which may acknowledge the message without reading further.
    if (job?.webhookPending !== undefined) await this.#flush(job, logger);
    const sentAt = Number(record.attributes.SentTimestamp);
    const generation = job ? generationVerdict(job.generation ?? 0, generationOf(message), Number.isFinite(sentAt) ? sentAt : undefined, this.#deps.now()) : { verdict: 'current' as const };
    switch (generation.verdict) {
      case 'stale':
        // An older copy of a job retried by id or edited (see generationGuard): it must neither run nor come back.
        logger.info('message of an earlier generation acknowledged without a run', { generation: message.generation ?? 0, current: job?.generation ?? 0 });
        return { ack: true, reason: 'skipped' };
      case 'early':
        // An edit's message, sent before its record write: it runs once the write has landed.
        logger.info('message of the next generation arrived before its edit was recorded; deferring', { generation: message.generation ?? 0, current: job?.generation ?? 0 });
        await this.#setVisibility(message.type, record, generation.delaySeconds, logger);
        return { ack: false, reason: 'deferred' };
      case 'orphan':
        logger.warn('message of an edit that was never recorded acknowledged without a run', { generation: message.generation ?? 0, current: job?.generation ?? 0 });
        return { ack: true, reason: 'skipped' };
      case 'current':
        break;
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
        return this.#handToDeadLetterQueue(job!, record, logger, { justDied: true });
      }
      case 'dead-letter':
        logger.warn('a DEAD job\'s message came back before its hand-off to the DLQ was acknowledged; handing it on');
        return this.#handToDeadLetterQueue(job!, record, logger, { justDied: false });
      case 'cancel':
        await this.#finish(job!, holder, job!.attempt, 'CANCELLED', { error: { code: 'CANCELLED', message: 'cancelled by request' } }, logger);
        return { ack: true, reason: 'cancelled' };
      case 'expire':
        return this.#expire(job!, message, logger);
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
    if (verdict === 'dead-letter') return this.#handToDeadLetterQueue(job!, record, logger, { justDied: true });
    logger.info('the job moved on under a newer delivery; leaving the message alone', { reason: conflict.message, status: job?.status });
    return { ack: false, reason: 'superseded' };
  }

  /** A store call, tried again after short waits when the store is unavailable; conflicts are final. */
  #store<T>(call: () => Promise<T>): Promise<T> {
    return retryWhileUnavailable(call, this.#deps.storeRetryDelaysMs);
  }

  async #run(job: JobRecord, message: JobMessage, record: SqsRecordLike, holder: Holder, attempt: number, deadline: number, logger: Logger): Promise<RecordOutcome> {
    const { store } = this.#deps;
    const payload = await this.#payloadOf(job, logger);
    if ('missing' in payload) {
      await this.#finish(job, holder, attempt, 'FAILED', { error: payload.missing }, logger);
      return { ack: true, reason: 'failed' };
    }
    if ('unavailable' in payload) return { ack: false, reason: 'store-unavailable' };
    const parsed = this.#definition.payload.safeParse(payload.value);
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
    // A job with a start-by time (ttlSeconds) is claimed before its handler starts, whatever its type's
    // claim setting: "started" must be on the record, so a duplicate delivery after the deadline finds it
    // RUNNING rather than QUEUED and does not expire a job that is running.
    if (this.#definition.settings.claim === 'eager' || job.startBy !== undefined) await writer.claim();
    else writer.start();

    const budget = Math.max(0, deadline - this.#deps.now() - this.#deps.timeoutMarginMs);
    const timer = setTimeout(() => controller.abort(new JobTimeoutError(`job exceeded its time budget of ${budget} ms`)), budget);
    const context: JobContext = {
      jobId: job.jobId,
      tenant: job.tenant,
      type: job.type,
      ...(job.groupKey !== undefined ? { groupKey: job.groupKey } : {}),
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

    if (failure === undefined) return this.#succeed(job, message, record, holder, attempt, writer, result, logger);
    return this.#fail(job, message, record, holder, attempt, writer, failure, logger);
  }

  /**
   * The payload the handler gets: inline, or read from S3. A stored payload that is gone (expired,
   * deleted) or does not match its digest is a permanent failure: no retry can bring it back. S3 being
   * unreachable is not: the message comes back and no attempt is spent (the run has not started).
   */
  async #payloadOf(job: JobRecord, logger: Logger): Promise<{ value: unknown } | { missing: JobError } | { unavailable: true }> {
    if (!job.payloadRef) return { value: job.payload };
    if (!this.#jobData) return { missing: { code: 'PAYLOAD_MISSING', message: 'the payload is stored apart and this consumer has no job-data bucket configured' } };
    try {
      return { value: await this.#jobData.loadPayload(job) };
    } catch (error) {
      if (error instanceof StoredDataMissingError) {
        logger.error('the stored payload cannot be read back; the job fails', { error });
        return { missing: toJobError(error) };
      }
      logger.error('could not read the stored payload; the message will be redelivered', { error });
      return { unavailable: true };
    }
  }

  async #succeed(job: JobRecord, message: JobMessage, record: SqsRecordLike, holder: Holder, attempt: number, writer: AttemptWriter, result: unknown, logger: Logger): Promise<RecordOutcome> {
    let outcome: { result: unknown } | { resultRef: StoredDataRef };
    if (this.#jobData) {
      try {
        // A large result is written to S3 first: the terminal write then names an object that exists.
        outcome = await this.#jobData.storeResult(job, result);
      } catch (error) {
        // The run's work is done but cannot be kept: a retryable failure like any other.
        return this.#fail(job, message, record, holder, attempt, writer, error, logger);
      }
    } else {
      const size = Buffer.byteLength(JSON.stringify(result ?? null), 'utf8');
      if (size > MAX_INLINE_RESULT_BYTES) {
        await this.#finish(job, holder, attempt, 'FAILED', { error: { code: 'RESULT_TOO_LARGE', message: `result is ${size} bytes; the limit is ${MAX_INLINE_RESULT_BYTES}` } }, logger, writer);
        return { ack: true, reason: 'failed' };
      }
      outcome = { result: result ?? null };
    }
    await this.#finish(job, holder, attempt, 'SUCCEEDED', { ...outcome, progress: 100 }, logger, writer);
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
      return this.#handToDeadLetterQueue(job, record, logger, { justDied: true });
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
      remove: [
        'nextAttemptAt',
        ...(to === 'SUCCEEDED' ? (['error'] as const) : []),
        ...(recordsHolder(to) ? [] : (['messageId', 'receiveCount'] as const)),
        // A result is inline or stored apart, never both.
        ...(set?.resultRef ? (['result'] as const) : set && 'result' in set ? (['resultRef'] as const) : []),
        ...followUps.remove,
      ],
    }));
    await this.#flush(written, logger);
  }

  /** Queues what a terminal write recorded; a failure (logged) leaves the marker for the sweep: the status stands. */
  async #flush(record: JobRecord, logger: Logger): Promise<void> {
    const outcome = await this.#deps.followUps.flush(record);
    if (outcome === 'already-flushed') logger.info('the completion webhook was already flushed by another delivery or the sweep');
  }

  /**
   * A job not started by its start-by time: EXPIRED without a run, and its message acknowledged. The
   * write is conditional on QUEUED and on this message's generation, so an edit that moved the job's
   * start (a new generation) since the read wins, and this stale message is acknowledged instead.
   */
  async #expire(job: JobRecord, message: ReceivedMessage, logger: Logger): Promise<RecordOutcome> {
    const now = this.#deps.now();
    logger.info('job not started by its start-by time; EXPIRED without a run', { startBy: job.startBy });
    // A terminal write like the others: its webhook is recorded with the status, then flushed.
    const followUps = terminalFollowUps(job, 'EXPIRED', new Date(now), { flushGraceMs: this.#deps.flushGraceMs });
    const written = await this.#store(() => this.#deps.store.transition({
      jobId: job.jobId,
      from: sourcesOf('EXPIRED'),
      to: 'EXPIRED',
      ...generationGuard(message),
      set: {
        finishedAt: new Date(now).toISOString(),
        ttl: expiryOf(this.#definition.settings, 'EXPIRED', now),
        error: { code: 'EXPIRED', message: `not started by ${job.startBy} (its ttlSeconds ran out); it never ran` },
        ...followUps.set,
      },
      remove: ['nextAttemptAt', 'messageId', 'receiveCount', ...followUps.remove],
    }));
    await this.#flush(written, logger);
    return { ack: true, reason: 'expired' };
  }

  /**
   * A DEAD job's message goes to the DLQ from here, then the message is acknowledged. Its record is
   * already DEAD and names this message, so if the hand-off or the acknowledgement is lost the message
   * comes back, finds the record DEAD and is handed on then (`dead-letter`): never lost, and in the DLQ
   * once unless this consumer dies between the send and the acknowledgement (then twice; a redrive runs
   * the job once, the copy being acknowledged as a duplicate).
   */
  async #handToDeadLetterQueue(job: JobRecord, record: SqsRecordLike, logger: Logger, options: { justDied: boolean }): Promise<RecordOutcome> {
    try {
      // The job's group keeps its order in a FIFO DLQ (and its fairness after a redrive); the source
      // message's id dedupes a repeated hand-off (DeadLetterOptions).
      await this.#deps.queue.deadLetter(job.type, record.body, { group: messageGroupIdOf(job.tenant, job.groupKey), deduplicationId: record.messageId });
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
 * Redrive, selective retry and edits, as the worker sees them. A redrive first puts DEAD records back to
 * QUEUED with attempt 0 (and no holder), then moves their DLQ messages back: the redriven delivery
 * runs attempt 1 — the ordinary first-delivery path. A selective retry or an edit sends a new message
 * with a bumped generation; an older copy of the message (still in the DLQ or queue) is acknowledged
 * without a run when the record is read before running (delivery.ts, generationVerdict), and every
 * status write of a delivery is conditional on the message's generation as well, so such a copy can
 * never record an outcome for the retried or edited job.
 */
function generationGuard(message: JobMessage): Pick<Transition, 'expectGeneration'> {
  return { expectGeneration: generationOf(message) };
}

function generationOf(message: JobMessage): number {
  return typeof message.generation === 'number' ? message.generation : 0;
}
