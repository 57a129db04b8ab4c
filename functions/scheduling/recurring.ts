import { requestFor, type RecurringJobDefinition } from '../../shared/jobs/recurring.js';
import type { Logger } from '../../shared/ports/logger.js';
import { randomUUID } from 'node:crypto';
import { withLogFields } from '../../shared/logging/scope.js';
import type { EnqueueOrigin, JobService } from '../api/job-service.js';

/** The event a recurring schedule delivers: its name and the time it was due (`<aws.scheduler.scheduled-time>`). */
export interface RecurringEvent {
  readonly recurring: string;
  readonly scheduledAt: string;
}

/**
 * Enqueues a recurring job's run. The Idempotency-Key is the schedule's name and due time, so a
 * retried invocation of the same occurrence (EventBridge Scheduler is at-least-once) replays the
 * same job instead of enqueueing a second one.
 */
export class RecurringJobRunner {
  readonly #byName: ReadonlyMap<string, RecurringJobDefinition>;

  constructor(private readonly deps: { jobs: JobService; definitions: readonly RecurringJobDefinition[]; logger: Logger }) {
    this.#byName = new Map(deps.definitions.map((d) => [d.name, d]));
  }

  /**
   * An occurrence has no API request behind it: its correlation id is the invocation's (the scheduler
   * target's Lambda request id), or a new one.
   */
  async run(event: RecurringEvent, origin: EnqueueOrigin = {}): Promise<{ jobId: string; replayed: boolean }> {
    const correlationId = origin.correlationId ?? randomUUID();
    return withLogFields({ correlationId }, () => this.#run(event, correlationId));
  }

  async #run(event: RecurringEvent, correlationId: string): Promise<{ jobId: string; replayed: boolean }> {
    const definition = this.#byName.get(event.recurring);
    if (!definition) throw new Error(`no recurring job named "${event.recurring}"`);
    const scheduledAt = new Date(event.scheduledAt);
    if (Number.isNaN(scheduledAt.getTime())) throw new Error(`recurring "${event.recurring}": scheduledAt "${event.scheduledAt}" is not a date`);
    const key = `cron:${definition.name}:${scheduledAt.toISOString()}`;
    const { job, replayed } = await this.deps.jobs.enqueueIdempotent(definition.tenant, requestFor(definition, scheduledAt), key, undefined, { correlationId });
    this.deps.logger.info('recurring job enqueued', { recurring: definition.name, scheduledAt: scheduledAt.toISOString(), jobId: job.jobId, replayed });
    return { jobId: job.jobId, replayed };
  }
}
