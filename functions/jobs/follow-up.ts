import { ConveyorError, JobAlreadyExistsError } from '../../shared/domain/errors.js';
import { followUpJobId } from '../../shared/domain/job-id.js';
import type { EnqueueRequest } from '../../shared/jobs/registry.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { JobService, messageOf } from '../api/job-service.js';

export interface FollowUpEnqueuerDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/**
 * Lets a job handler enqueue another job (a notification's e-mail) through the API's own enqueue
 * path — record first, then message (JobService) — under an id derived from the parent job
 * (`followUpJobId`). A redelivered parent therefore finds the record it made before and makes no
 * second job. If that record is still QUEUED and never ran, the earlier delivery may have died
 * between the record and the message, so the message is sent again; a duplicate message is harmless
 * (the consumer claims a job once, and the e-mail job never sends twice).
 */
export class FollowUpEnqueuer {
  readonly #deps: FollowUpEnqueuerDeps;

  constructor(deps: FollowUpEnqueuerDeps) {
    this.#deps = deps;
  }

  async enqueue(tenant: string, parentJobId: string, purpose: string, request: EnqueueRequest): Promise<{ jobId: string; replayed: boolean }> {
    const jobId = followUpJobId(parentJobId, purpose);
    if (!jobId) throw new ConveyorError('INVALID_JOB_ID', `a follow-up needs a Conveyor job id as its parent, not ${JSON.stringify(parentJobId)}`);
    const service = new JobService({ ...this.#deps, newJobId: () => jobId });
    try {
      await service.enqueue(tenant, request);
      return { jobId, replayed: false };
    } catch (error) {
      if (!(error instanceof JobAlreadyExistsError)) throw error;
    }
    const existing = await this.#deps.store.get(jobId, { tenant, consistent: true });
    if (existing?.status === 'QUEUED' && existing.attempt === 0) {
      this.#deps.logger.info('follow-up job exists but never ran; sending its message again', { followUp: jobId });
      await this.#deps.queue.send(messageOf(existing));
    }
    return { jobId, replayed: true };
  }
}
