import { ConfigurationError, ConveyorError, DependencyRequestError, DependencyUnavailableError, JobValidationError, PayloadTooLargeError } from '../../shared/domain/errors.js';
import { newJobId } from '../../shared/domain/job-id.js';
import type { JobMessage, JobRecord } from '../../shared/domain/job.js';
import { enqueueRequestSchema, getJobDefinition, type EnqueueRequest } from '../../shared/jobs/registry.js';
import { dispatchJob, planFields } from '../scheduling/dispatch.js';
import type { ReleasePlan } from '../scheduling/release-plan.js';
import { IDEMPOTENCY_KEY } from './idempotent-enqueue.js';
import { JobService, messageOf, newJobRecord, type EnqueueOrigin, type JobServiceDeps } from './job-service.js';
import { zodIssues } from './validate.js';

/** At most this many jobs per `POST /v1/jobs:batch`. */
export const MAX_BATCH_JOBS = 100;

/** The queue operations bulk enqueue needs: SendMessageBatch, 10 per call. */
export interface BatchJobQueue {
  sendBatch(entries: readonly { message: JobMessage; delaySeconds?: number }[]): Promise<Set<number>>;
}

export interface BatchItemError {
  readonly code: string;
  readonly message: string;
  readonly issues?: readonly { path: string; message: string }[];
}

export type BatchItemResult =
  | { readonly index: number; readonly jobId: string; readonly status: string; readonly replayed?: boolean; readonly runAt?: string }
  | { readonly index: number; readonly error: BatchItemError };

/** An item that passed validation: its request, plan and optional idempotency key. */
interface ValidItem {
  readonly index: number;
  readonly request: EnqueueRequest;
  readonly plan: ReleasePlan;
  readonly idempotencyKey?: string;
}

/**
 * What `POST /v1/jobs` needs (keyed items go through the same JobService), and a queue that also
 * sends in batches.
 */
export type BatchEnqueuerDeps = JobServiceDeps & { readonly queue: JobServiceDeps['queue'] & BatchJobQueue };

/**
 * Bulk enqueue: each item validated on its own (one bad item never sinks the others), then
 * - items with an `idempotencyKey` go through the same idempotent enqueue as `POST /v1/jobs` with
 *   an Idempotency-Key (one job per tenant and key, replayed on repeat);
 * - the rest: the tenant noted as active, records written first (each saying its send is pending),
 *   then messages sent with SendMessageBatch, 10 per call and one call per destination queue, and held
 *   jobs scheduled (each schedule confirmed on its record); a message that could not be sent has its
 *   record discarded and the item answers SERVICE_UNAVAILABLE — no record without a message, no
 *   message without a record. A process that dies after the records leaves them to the recovery sweep.
 */
export class BatchEnqueuer {
  readonly #deps: BatchEnqueuerDeps & Required<Pick<BatchEnqueuerDeps, 'now' | 'newJobId'>>;
  readonly #jobs: JobService;

  constructor(deps: BatchEnqueuerDeps) {
    this.#deps = { now: () => new Date(), newJobId, ...deps };
    this.#jobs = new JobService(deps);
  }

  /**
   * Validates every item as `POST /v1/jobs` would (schema, start time, callback URL, what SQS and
   * DynamoDB accept); returns the valid ones and an error result per invalid one.
   */
  validate(tenant: string, items: readonly unknown[]): { valid: ValidItem[]; errors: BatchItemResult[] } {
    const now = this.#deps.now();
    const valid: ValidItem[] = [];
    const errors: BatchItemResult[] = [];
    items.forEach((item, index) => {
      const prefix = `jobs.${index}`;
      const { idempotencyKey, ...rest } = (typeof item === 'object' && item !== null ? item : { item }) as Record<string, unknown>;
      if (idempotencyKey !== undefined && (typeof idempotencyKey !== 'string' || !IDEMPOTENCY_KEY.test(idempotencyKey))) {
        errors.push({ index, error: { code: 'VALIDATION_FAILED', message: 'invalid idempotencyKey', issues: [{ path: `${prefix}.idempotencyKey`, message: 'must be 1–255 visible ASCII characters (no spaces)' }] } });
        return;
      }
      const parsed = enqueueRequestSchema.safeParse(typeof item === 'object' && item !== null ? rest : item);
      if (!parsed.success) {
        const issues = zodIssues(parsed.error).map((i) => ({ path: i.path === '(root)' ? prefix : `${prefix}.${i.path}`, message: i.message }));
        errors.push({ index, error: { code: 'VALIDATION_FAILED', message: 'job does not match the schema', issues } });
        return;
      }
      const request = parsed.data as EnqueueRequest;
      try {
        const plan = this.#jobs.check(tenant, request, now);
        valid.push({ index, request, plan, ...(typeof idempotencyKey === 'string' ? { idempotencyKey } : {}) });
      } catch (error) {
        errors.push({ index, error: itemError(error, prefix) });
      }
    });
    return { valid, errors };
  }

  async enqueue(tenant: string, valid: readonly ValidItem[], origin: EnqueueOrigin = {}): Promise<BatchItemResult[]> {
    // Items of a FIFO type keep their order, which is their group's enqueue order: they go in index order
    // (enqueueInOrder). The others go side by side: keyed ones one by one, unkeyed ones in bulk.
    const isFifo = (item: ValidItem) => getJobDefinition(item.request.type).settings.ordering === 'fifo';
    const ordered = valid.filter(isFifo);
    const free = valid.filter((item) => !isFifo(item));
    const [keyedResults, plainResults, orderedResults] = await Promise.all([
      Promise.all(free.filter((item) => item.idempotencyKey !== undefined).map((item) => this.#enqueueKeyed(tenant, item, origin))),
      this.#enqueuePlain(tenant, free.filter((item) => item.idempotencyKey === undefined), origin),
      this.#enqueueInOrder(tenant, ordered, origin),
    ]);
    return [...keyedResults, ...plainResults, ...orderedResults];
  }

  /**
   * FIFO items in index order: each keyed one on its own, each run of unkeyed ones between them as one
   * bulk send (SqsJobQueue.sendBatch sends a FIFO queue's chunks one after another), each step after the
   * previous one has been sent.
   */
  async #enqueueInOrder(tenant: string, items: readonly ValidItem[], origin: EnqueueOrigin): Promise<BatchItemResult[]> {
    const results: BatchItemResult[] = [];
    for (let from = 0; from < items.length; ) {
      if (items[from]!.idempotencyKey !== undefined) {
        results.push(await this.#enqueueKeyed(tenant, items[from]!, origin));
        from += 1;
        continue;
      }
      let to = from;
      while (to < items.length && items[to]!.idempotencyKey === undefined) to += 1;
      results.push(...(await this.#enqueuePlain(tenant, items.slice(from, to), origin)));
      from = to;
    }
    return results;
  }

  async #enqueueKeyed(tenant: string, item: ValidItem, origin: EnqueueOrigin): Promise<BatchItemResult> {
    try {
      const { job, replayed } = await this.#jobs.enqueueIdempotent(tenant, item.request, item.idempotencyKey!, item.plan, origin);
      return accepted(item.index, job, replayed);
    } catch (error) {
      return { index: item.index, error: itemError(error, `jobs.${item.index}`) };
    }
  }

  async #enqueuePlain(tenant: string, items: readonly ValidItem[], origin: EnqueueOrigin): Promise<BatchItemResult[]> {
    const { store, logger, jobData } = this.#deps;
    const now = this.#deps.now();
    const built = items.map((item) => ({ ...newJobRecord(tenant, item.request, this.#deps.newJobId(tenant, now), now, undefined, origin.correlationId), ...planFields(item.plan, item.request, now) }) as JobRecord);
    if (built.length > 0) await this.#deps.activity?.note(tenant, now);
    // Payloads over the inline limit are uploaded before their records are written (see JobService).
    const records = await Promise.all(built.map((record) => (jobData ? jobData.storePayload(record).catch(() => undefined) : record)));
    const created = await Promise.all(records.map((record) => (record ? store.create(record).then(() => true, () => false) : false)));
    const results: BatchItemResult[] = [];
    const toSend: { item: ValidItem; record: JobRecord; built: JobRecord }[] = [];
    const toHold: { item: ValidItem; record: JobRecord; built: JobRecord }[] = [];
    items.forEach((item, i) => {
      if (!records[i]) results.push({ index: item.index, error: unavailable('the payload store') });
      else if (!created[i]) results.push({ index: item.index, error: unavailable('the job store') });
      else (item.plan.kind === 'hold' ? toHold : toSend).push({ item, record: records[i], built: built[i]! });
    });

    const failedSends = await this.#deps.queue.sendBatch(
      // Messages route by the request's payload (priority), which a stored record may hold apart.
      toSend.map(({ item, built: job }) => ({ message: messageOf(job), ...(item.plan.kind === 'delay' ? { delaySeconds: item.plan.delaySeconds } : {}) })),
    );
    // Each held job's schedule is made, then confirmed on its record (dispatchJob), one by one.
    const dispatch = { queue: this.#deps.queue, scheduler: this.#deps.scheduler, store, logger };
    const held = await Promise.all(toHold.map(({ item, record }) => dispatchJob(dispatch, record, item.plan).then(() => true, () => false)));
    const outcomes = [...toSend.map((entry, i) => ({ ...entry, ok: !failedSends.has(i) })), ...toHold.map((entry, i) => ({ ...entry, ok: held[i] === true }))];
    for (const { item, record, ok } of outcomes) {
      if (ok) {
        results.push(accepted(item.index, record, false));
        continue;
      }
      // Not sent: discard the still-QUEUED record so no job waits for a message that never comes, then its stored payload.
      const discarded = await store.discard(record.jobId).then(
        () => true,
        (error: unknown) => {
          logger.error('bulk enqueue: send failed and the record could not be discarded', { jobId: record.jobId, error });
          return false;
        },
      );
      if (discarded) await jobData?.discardPayload(record);
      results.push({ index: item.index, error: unavailable(item.plan.kind === 'hold' ? 'the scheduler' : 'the queue') });
    }
    return results;
  }
}

function accepted(index: number, job: JobRecord, replayed: boolean): BatchItemResult {
  return { index, jobId: job.jobId, status: job.status, ...(replayed ? { replayed: true } : {}), ...(job.runAt ? { runAt: job.runAt } : {}) };
}

function unavailable(what: string): BatchItemError {
  return { code: 'SERVICE_UNAVAILABLE', message: `${what} is unavailable; this job was not accepted, retry it` };
}

function itemError(error: unknown, prefix: string): BatchItemError {
  if (error instanceof JobValidationError || error instanceof PayloadTooLargeError) {
    return { code: error.code, message: error.message, issues: error.issues.map((i) => ({ path: `${prefix}.${i.path}`, message: i.message })) };
  }
  if (error instanceof DependencyUnavailableError) return unavailable(error.dependency);
  // The operator's to fix, and logged where it happened: the caller learns the kind, not the details.
  if (error instanceof ConfigurationError) return { code: error.code, message: 'the service is misconfigured; this job was not accepted' };
  if (error instanceof DependencyRequestError) return { code: error.code, message: 'internal error' };
  if (error instanceof ConveyorError) return { code: error.code, message: error.message };
  return { code: 'INTERNAL', message: 'internal error' };
}
