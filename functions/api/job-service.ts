import { randomUUID } from 'node:crypto';
import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { getJobDefinition, type EnqueueRequest } from '../../shared/jobs/registry.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';

export interface JobServiceDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newJobId?: () => string;
}

/**
 * The enqueue path, independent of HTTP. Order matters for "never lose a job":
 * 1. write the record (conditional put) — a message must never exist without its record;
 * 2. send the message;
 * 3. if the send fails, discard the still-QUEUED record so no job waits for a message that will never
 *    come, and report the queue as unavailable (the API answers 503). If the send did in fact reach
 *    SQS (a lost response), the consumer finds no record, its conditional write fails, and the orphan
 *    message is acknowledged without effect.
 */
export class JobService {
  readonly #deps: Required<JobServiceDeps>;

  constructor(deps: JobServiceDeps) {
    this.#deps = { now: () => new Date(), newJobId: randomUUID, ...deps };
  }

  async enqueue(tenant: string, request: EnqueueRequest): Promise<JobRecord> {
    const { store, queue, logger } = this.#deps;
    const definition = getJobDefinition(request.type);
    const now = this.#deps.now();
    const job: JobRecord = {
      jobId: this.#deps.newJobId(),
      tenant,
      type: request.type,
      status: 'QUEUED',
      attempt: 0,
      maxAttempts: definition.settings.maxAttempts,
      progress: 0,
      payload: request.payload,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await store.create(job);
    try {
      await queue.send({ jobId: job.jobId, type: job.type, tenant, payload: job.payload, enqueuedAt: now.getTime() });
    } catch (sendError) {
      await store.discard(job.jobId).catch((discardError: unknown) => {
        logger.error('enqueue: send failed and the record could not be discarded', { jobId: job.jobId, error: discardError });
      });
      throw sendError instanceof DependencyUnavailableError
        ? sendError
        : new DependencyUnavailableError('sqs', `queue send failed — ${String(sendError)}`, { cause: sendError });
    }
    return job;
  }

  async get(tenant: string, jobId: string): Promise<JobRecord | undefined> {
    return this.#deps.store.get(jobId, { tenant });
  }
}
