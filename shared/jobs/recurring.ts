import { localDateOf, parseCron, type CronSchedule } from './cron.js';
import { enqueueRequestSchema, type EnqueueRequest } from './registry.js';

/**
 * A recurring job: enqueued on a cron schedule in an IANA time zone. Declared here, in the
 * registry; the CDK makes one EventBridge Scheduler schedule per entry (`cron(…)` with
 * ScheduleExpressionTimezone) and the local cloud's scheduler fires the same entries.
 */
export interface RecurringJobDefinition {
  /** Schedule name: lowercase, digits, `-`; becomes part of the EventBridge schedule's name. */
  readonly name: string;
  readonly description: string;
  /** Five-field cron, evaluated in `timeZone` (see shared/jobs/cron.ts for DST rules). */
  readonly cron: string;
  readonly timeZone: string;
  /** The tenant that owns the jobs it enqueues. */
  readonly tenant: string;
  /** The job to enqueue, fixed or built per occurrence (e.g. a digest for that local date). */
  readonly request: EnqueueRequest | ((occurrence: Occurrence) => EnqueueRequest);
  readonly schedule: CronSchedule;
}

/** One firing of a recurring job: when it was due, and that instant's date in the entry's zone. */
export interface Occurrence {
  readonly scheduledAt: Date;
  /** YYYY-MM-DD in the entry's time zone. */
  readonly localDate: string;
}

/** The request of one occurrence. */
export function requestFor(definition: RecurringJobDefinition, scheduledAt: Date): EnqueueRequest {
  return typeof definition.request === 'function' ? definition.request({ scheduledAt, localDate: localDateOf(scheduledAt.getTime(), definition.timeZone) }) : definition.request;
}

/** Fails at import (and so at synth) naming the entry, like defineJob. */
export function defineRecurringJob(definition: Omit<RecurringJobDefinition, 'schedule'>): RecurringJobDefinition {
  const where = `defineRecurringJob("${definition.name}")`;
  if (!/^[a-z][a-z0-9-]{0,39}$/.test(definition.name)) throw new Error(`${where}: name must be lowercase letters, digits or -, ≤ 40 chars`);
  const schedule = parseCron(definition.cron, definition.timeZone);
  const sample = typeof definition.request === 'function' ? definition.request({ scheduledAt: new Date(0), localDate: '1970-01-01' }) : definition.request;
  const request = enqueueRequestSchema.safeParse(sample);
  if (!request.success) throw new Error(`${where}: invalid request — ${request.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  if ((sample as { runAt?: unknown }).runAt !== undefined) throw new Error(`${where}: a recurring job cannot carry runAt`);
  return Object.freeze({ ...definition, schedule });
}

export const recurringJobs: readonly RecurringJobDefinition[] = [
  defineRecurringJob({
    name: 'daily-brief',
    description: "The team's daily brief e-mail, every day at 08:00 Berlin time (CET/CEST)",
    cron: '0 8 * * *',
    timeZone: 'Europe/Berlin',
    tenant: 'system',
    request: ({ localDate }) => ({
      type: 'email',
      payload: { to: ['team@example.com'], template: 'daily-digest', data: { name: 'Team', date: localDate, items: [{ title: `Daily brief for ${localDate}` }] } },
    }),
  }),
];
