import { keys } from '../../shared/config/table.js';
import { MAX_CORRELATION_ID_LENGTH } from '../../shared/domain/correlation.js';
import { ConfigurationError, ConveyorError, DependencyUnavailableError, JobValidationError } from '../../shared/domain/errors.js';
import { jobIdTime, newJobId } from '../../shared/domain/job-id.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { isPrioritized, requestedPriority, storedPriority } from '../../shared/jobs/priority.js';
import { getJobDefinition, isJobType, type EnqueueRequest } from '../../shared/jobs/registry.js';
import type { IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { enqueueIdempotently, type IdempotencySettings, type IdempotentEnqueueResult } from './idempotent-enqueue.js';
import { cancelJob, type CancelOutcome } from './job-cancellation.js';
import { editJob, type JobEdit } from './job-edit.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { dispatchJob, planFields } from '../scheduling/dispatch.js';
import type { TenantActivity } from '../../shared/ports/recovery.js';
import { planRelease, type ReleasePlan } from '../scheduling/release-plan.js';
import { checkCallback } from '../webhooks/callback-check.js';
import { messageOf, routingOf } from './job-message.js';

export { messageOf, routingOf };
import type { AddressPolicy } from '../webhooks/address-policy.js';
import { FollowUpFlusher } from '../follow-ups/follow-ups.js';
import { assertStorable } from './storable.js';
import { asStored, PAYLOAD_INLINE_BYTES, type JobData } from '../job-data/job-data.js';
import { STORED_PAYLOAD_MAX_HOLD_DAYS } from '../../shared/jobs/retention.js';

export interface JobServiceDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  /** Needed for `Idempotency-Key`; without it a keyed enqueue is a configuration error. */
  readonly idempotency?: IdempotencyStore;
  readonly idempotencySettings?: Partial<IdempotencySettings>;
  /** Holds jobs whose runAt is beyond SQS's 15-minute delay; absent where none is configured. */
  readonly scheduler?: ReleaseScheduler | undefined;
  /** Where webhooks may go; absent when webhooks are off (a callbackUrl is then a 400). */
  readonly webhookPolicy?: AddressPolicy | undefined;
  /**
   * Flushes what a cancellation's terminal write owes (the completion webhook). Default: one without
   * a webhook queue, which leaves the webhook to the recovery sweep.
   */
  readonly followUps?: FollowUpFlusher;
  /**
   * Notes the tenants that enqueue, before their records are written, so the recovery sweep can find
   * a record whose sender died before sending it. Without it such a record is never found.
   */
  readonly activity?: TenantActivity;
  readonly now?: () => Date;
  /** Where payloads over the inline limit go (S3); without it a payload must fit in the record. */
  readonly jobData?: JobData | undefined;
  /** A new job's id: it carries the tenant's table partition and the creation time (shared/domain/job-id.ts). */
  readonly newJobId?: (tenant: string, now: Date) => string;
}

/** Where an enqueue comes from: the request's correlation id, stored on the job and sent with its message. */
export interface EnqueueOrigin {
  readonly correlationId?: string | undefined;
}

/**
 * The enqueue path, independent of HTTP. Order matters for "never lose a job":
 * 0. a payload over the inline limit is uploaded first (functions/job-data/), so no record ever names
 *    an object that is not there;
 * 1. note the tenant as active (the recovery sweep reads active tenants' partitions);
 * 2. write the record (conditional put), saying its send is pending (`sendPending`) — a message must
 *    never exist without its record;
 * 3. send the message (or schedule a held job's release, then confirm the schedule on the record);
 * 4. if the send fails, discard the still-QUEUED record so no job waits for a message that will never
 *    come, and report the queue as unavailable (the API answers 503). If the send did in fact reach
 *    SQS (a lost response), the consumer finds no record, its conditional write fails, and the orphan
 *    message is acknowledged without effect.
 * If this process dies between 2 and 3, the record keeps `sendPending` (only the consumer's first
 * write removes it) and the recovery sweep sends the job once its grace has passed.
 * When the send fails, the discarded record's payload object goes too. A payload object is deleted
 * only once no record can name it (the discard succeeded). When the record write itself fails, its
 * outcome is unknown (a PutItem that timed out may have landed): the object stays, and if no record
 * names it the bucket's lifecycle rule removes it.
 */
export class JobService {
  readonly #deps: JobServiceDeps & Required<Pick<JobServiceDeps, 'now' | 'newJobId' | 'followUps'>>;

  constructor(deps: JobServiceDeps) {
    this.#deps = { now: () => new Date(), newJobId, followUps: new FollowUpFlusher({ store: deps.store, logger: deps.logger }), ...deps };
  }

  /**
   * Everything that can refuse a schema-valid request before anything is written: its start time
   * (runAt), its callback URL, and what SQS and DynamoDB accept (storable.ts). Throws
   * JobValidationError (400) or PayloadTooLargeError (413); returns how the job will be released.
   */
  check(tenant: string, request: EnqueueRequest, now: Date = this.#deps.now()): ReleasePlan {
    const plan = planRelease(request, now);
    assertOrderable(request, plan);
    checkCallback(request, this.#deps.webhookPolicy);
    // Sized as the store writes it (keys included), with room for the longest Idempotency-Key and correlation id.
    // A payload over the inline limit is sized as the reference the record will hold instead.
    const record = asStored(newJobRecord(tenant, request, JOB_ID_ROOM, now, IDEMPOTENCY_KEY_ROOM, CORRELATION_ID_ROOM), this.#deps.jobData);
    if ('payloadRef' in record) checkHold(plan, now);
    assertStorable(request, { pk: keys.tenantJobPartitions(tenant)[0], sk: JOB_ID_ROOM, ...record, ...planFields(plan, request, now) });
    return plan;
  }

  /**
   * `plan`: what `check` returned for this request, when the caller checked it already (the API does,
   * before the rate limit). `origin`: the request's correlation id, stored on the job and its message.
   */
  async enqueue(tenant: string, request: EnqueueRequest, plan: ReleasePlan = this.check(tenant, request), origin: EnqueueOrigin = {}): Promise<JobRecord> {
    const { store, queue, logger, jobData } = this.#deps;
    const now = this.#deps.now();
    const job = { ...newJobRecord(tenant, request, this.#deps.newJobId(tenant, now), now, undefined, origin.correlationId), ...planFields(plan, request, now) };
    await this.#deps.activity?.note(tenant, now);
    const stored = jobData ? await jobData.storePayload(job) : job;
    await store.create(stored);
    try {
      await dispatchJob({ queue, scheduler: this.#deps.scheduler, store, logger }, job, plan);
    } catch (sendError) {
      const discarded = await store.discard(job.jobId).then(
        () => true,
        (discardError: unknown) => {
          logger.error('enqueue: send failed and the record could not be discarded', { jobId: job.jobId, error: discardError });
          return false;
        },
      );
      if (discarded) await jobData?.discardPayload(stored);
      throw sendError instanceof ConveyorError
        ? sendError
        : new DependencyUnavailableError('sqs', `queue send failed — ${String(sendError)}`, { cause: sendError });
    }
    return stored;
  }

  /** Enqueue under an `Idempotency-Key`: one job per tenant and key (see idempotent-enqueue.ts). */
  async enqueueIdempotent(tenant: string, request: EnqueueRequest, idempotencyKey: string, checked?: ReleasePlan, origin: EnqueueOrigin = {}): Promise<IdempotentEnqueueResult> {
    const { store, queue, logger, idempotency, now, newJobId, idempotencySettings, jobData } = this.#deps;
    if (!idempotency) throw new ConfigurationError('JobService: an idempotency store is needed for Idempotency-Key');
    const plan = checked ?? this.check(tenant, request, now());
    await this.#deps.activity?.note(tenant, now());
    return enqueueIdempotently(
      {
        store,
        // Sends as planned: at once, with an SQS delay, or held by the scheduler.
        dispatch: (job) => dispatchJob({ queue, scheduler: this.#deps.scheduler, store, logger }, job, plan),
        idempotency,
        logger,
        now,
        newJobId,
        newRecord: (owner, body, jobId, key) => {
          const at = now();
          return { ...newJobRecord(owner, body, jobId, at, key, origin.correlationId), ...planFields(plan, body, at) };
        },
        ...(jobData ? { jobData } : {}),
        ...(idempotencySettings ? { settings: idempotencySettings } : {}),
      },
      tenant,
      idempotencyKey,
      request,
    );
  }

  async get(tenant: string, jobId: string): Promise<JobRecord | undefined> {
    return this.#deps.store.get(jobId, { tenant });
  }

  /** `PATCH /v1/jobs/{id}`: undefined when the tenant has no such job (see job-edit.ts). */
  async edit(tenant: string, jobId: string, edit: JobEdit): Promise<JobRecord | undefined> {
    const { store, queue, scheduler, now } = this.#deps;
    return editJob({ store, queue, scheduler, now }, tenant, jobId, edit);
  }

  /** `DELETE /v1/jobs/{id}`: undefined when the tenant has no such job (see job-cancellation.ts). */
  async cancel(tenant: string, jobId: string): Promise<CancelOutcome | undefined> {
    return cancelJob(this.#deps.store, tenant, jobId, {
      now: this.#deps.now,
      retentionDaysOf: (type) => (isJobType(type) ? getJobDefinition(type).settings.retentionDays : undefined),
      followUps: this.#deps.followUps,
    });
  }
}

/** A payload stored apart expires with its bucket's lifecycle rule: its job may be held only so long (retention.ts). */
function checkHold(plan: ReleasePlan, now: Date): void {
  if (plan.kind === 'now') return;
  const maxMs = STORED_PAYLOAD_MAX_HOLD_DAYS * 86_400_000;
  if (plan.runAt.getTime() - now.getTime() > maxMs) {
    throw new JobValidationError('runAt is too far ahead for a payload this large', [
      { path: 'runAt', message: `a job whose payload is over ${PAYLOAD_INLINE_BYTES} bytes can start at most ${STORED_PAYLOAD_MAX_HOLD_DAYS} days ahead (its payload is kept for a limited time); enqueue it closer to its time` },
    ]);
  }
}

/**
 * A FIFO type runs a group's jobs in enqueue order, and its queue has no per-message delay: a job that
 * may start only later would either have to jump its group's order or hold the whole group back until
 * then. Both break the promise silently, so a delayed start is refused, naming the field; an application
 * that wants an ordered job later enqueues it then (a recurring job does so by itself).
 */
function assertOrderable(request: EnqueueRequest, plan: ReleasePlan): void {
  if (plan.kind === 'now' || getJobDefinition(request.type).settings.ordering !== 'fifo') return;
  const field = request.delaySeconds !== undefined ? 'delaySeconds' : 'runAt';
  throw new JobValidationError(`job type "${request.type}" runs jobs in enqueue order (FIFO) and cannot delay one`, [
    { path: field, message: `${field} is not accepted by the FIFO job type "${request.type}": its jobs run in enqueue order within their group; enqueue the job when it is due` },
  ]);
}

/** Stand-ins as long as a job id (a UUID) and the longest Idempotency-Key (255 characters). */
const JOB_ID_ROOM = '0'.repeat(36);
const IDEMPOTENCY_KEY_ROOM = 'k'.repeat(255);
const CORRELATION_ID_ROOM = 'c'.repeat(MAX_CORRELATION_ID_LENGTH);

/** The QUEUED record of a new job. It was created at the time its id carries (listing order is id order). */
export function newJobRecord(tenant: string, request: EnqueueRequest, jobId: string, now: Date, idempotencyKey?: string, correlationId?: string): JobRecord {
  const createdAt = jobIdTime(jobId) ?? now.toISOString();
  return {
    jobId,
    tenant,
    type: request.type,
    status: 'QUEUED',
    attempt: 0,
    maxAttempts: getJobDefinition(request.type).settings.maxAttempts,
    progress: 0,
    payload: request.payload,
    ...(isPrioritized(getJobDefinition(request.type)) ? storedPriority(requestedPriority(request)) : {}),
    createdAt,
    updatedAt: createdAt,
    // Until its message is known to exist: the consumer's first write (or a confirmed schedule) removes it.
    sendPending: 'pending',
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    ...(request.callbackUrl !== undefined ? { callbackUrl: request.callbackUrl } : {}),
    ...(request.groupKey !== undefined ? { groupKey: request.groupKey } : {}),
    ...(correlationId !== undefined ? { correlationId } : {}),
  };
}
