import { keys } from '../../shared/config/table.js';
import { JobNotEditableError, JobValidationError, TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { isTerminal } from '../../shared/domain/status.js';
import { isPrioritized, priorityOf, type Priority } from '../../shared/jobs/priority.js';
import { getJobDefinition, isJobType } from '../../shared/jobs/registry.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { sendPlanned, sweepAtOf } from '../scheduling/dispatch.js';
import { planRelease, type ReleasePlan } from '../scheduling/release-plan.js';
import { routingOf } from './job-message.js';
import { assertStorable } from './storable.js';
import { zodIssues } from './validate.js';

/** What `PATCH /v1/jobs/{id}` may change: at least one of these. */
export interface JobEdit {
  readonly payload?: unknown;
  readonly runAt?: string;
  readonly priority?: Priority;
}

export interface JobEditDeps {
  readonly store: JobStore;
  readonly queue: JobQueue;
  readonly scheduler?: ReleaseScheduler | undefined;
  readonly now: () => Date;
  /** Randomness for the edit's generation (Math.random unless a test pins it). */
  readonly random?: () => number;
}

/**
 * Edits a job that has not started (`PATCH /v1/jobs/{id}`): its payload (the type's schema and the
 * checks of an enqueue), its `runAt` or its `priority`. Returns undefined when the tenant has no
 * such job.
 *
 * The job's queued message cannot be changed, so an edit moves the job to a new generation (its own,
 * see editGeneration): a new message (to the priority's queue, delayed or held to the new runAt) is sent
 * **first**, then the record is rewritten with a conditional write on QUEUED, attempt 0 and the
 * generation it was read at.
 * - The write wins: the new message runs the job once, with the new fields; the old one is acknowledged
 *   without a run when it arrives (its generation is behind), and an old schedule's release is skipped.
 * - The write loses (the job started, or another edit landed): 409, and the new message, ahead of its
 *   record, is acknowledged without a run once the edit's grace is over (functions/worker/delivery.ts).
 * - The send fails: 503, nothing changed. Sending first is what makes a lost write harmless; the other
 *   order could leave a record whose only message is the old, now stale, one.
 *
 * "Not started" is what the record says. A job type that claims lazily writes RUNNING about a second into
 * a run, so an edit in that second wins and the run's outcome is never recorded (its writes are
 * conditional on the old generation); its handler is stopped at its first write, and the job runs again
 * with the edit. Types with side effects claim eagerly (RUNNING before the handler), as does any job with
 * a ttlSeconds: for those the edit answers 409 JOB_STARTED instead.
 */
export async function editJob(deps: JobEditDeps, tenant: string, jobId: string, edit: JobEdit): Promise<JobRecord | undefined> {
  const job = await deps.store.get(jobId, { tenant, consistent: true });
  if (!job) return undefined;
  assertEditable(job);
  if (!isJobType(job.type)) throw new JobValidationError(`job type "${job.type}" is no longer registered`, [{ path: 'type', message: 'unknown job type' }]);
  const definition = getJobDefinition(job.type);
  // A new generation's message would join the end of its group, behind jobs enqueued after this one.
  if (definition.settings.ordering === 'fifo') throw new JobNotEditableError(jobId, job.status, 'JOB_ORDERED');
  const now = deps.now();

  const given = edit.payload === undefined ? job.payload : validPayload(job.type, edit.payload);
  const priority = editedPriority(job, edit, given);
  // A payload with its own `priority` field (the analyze API's) says the same as the job.
  const payload = isPrioritized(definition) && hasOwnPriority(given) && given.priority !== priority ? { ...given, priority } : given;
  const plan = edit.runAt !== undefined ? planRelease({ runAt: edit.runAt }, now) : planOfDue(job, now);
  // ttlSeconds: the start-by time keeps its distance from when the job is due.
  const window = job.startBy !== undefined ? Date.parse(job.startBy) - dueOf(job) : undefined;
  const due = plan.kind === 'now' ? (edit.runAt !== undefined ? now.getTime() : dueOf(job)) : plan.runAt.getTime();
  const runAt = plan.kind === 'now' ? undefined : plan.runAt.toISOString();
  const startBy = window !== undefined && edit.runAt !== undefined ? new Date(due + window).toISOString() : job.startBy;
  const generation = editGeneration(job.generation ?? 0, now, deps.random ?? Math.random);
  // What the record becomes, in full (for the store's size check and the new message's routing).
  const next: JobRecord = {
    // An edited payload is kept inline (up to the record's size, checked below): it replaces one stored apart.
    ...withoutFields(job, edit.payload !== undefined ? ['runAt', 'priority', 'startBy', 'payloadRef'] : ['runAt', 'priority', 'startBy']),
    payload,
    generation,
    ...(runAt !== undefined ? { runAt } : {}),
    ...(startBy !== undefined ? { startBy } : {}),
    ...(isPrioritized(definition) && priority !== 'normal' ? { priority } : {}),
  };
  assertStorable({ payload }, { ...keys.job(jobId), ...next });

  await sendPlanned({ queue: deps.queue, scheduler: deps.scheduler }, next, plan);
  // The recovery sweep's view moves with the job: a held job is `held` with a sweep entry after its
  // new run time (the old entry would look for it early); a job that had an entry keeps one, after
  // when the edit's own message is due. The old schedule's release is skipped (older generation).
  const sweepAt = plan.kind === 'hold' || job.sweepAt !== undefined ? sweepAtOf(new Date(due)) : undefined;

  const remove: NonNullable<Transition['remove']>[number][] = [];
  if (runAt === undefined && job.runAt !== undefined) remove.push('runAt');
  if (next.priority === undefined && job.priority !== undefined) remove.push('priority');
  if (edit.payload !== undefined && job.payloadRef !== undefined) remove.push('payloadRef');
  try {
    return await deps.store.transition({
      jobId,
      from: ['QUEUED'],
      to: 'QUEUED',
      expectAttempt: 0,
      expectGeneration: job.generation ?? 0,
      set: {
        generation,
        ...(edit.payload !== undefined || payload !== job.payload ? { payload } : {}),
        ...(runAt !== undefined ? { runAt } : {}),
        ...(startBy !== undefined && startBy !== job.startBy ? { startBy } : {}),
        ...(next.priority !== undefined ? { priority: next.priority } : {}),
        ...(plan.kind === 'hold' ? { sendPending: 'held' as const } : {}),
        ...(sweepAt !== undefined ? { sweepAt } : {}),
      },
      ...(remove.length ? { remove } : {}),
    });
  } catch (error) {
    if (!(error instanceof TransitionConflictError)) throw error;
    const current = await deps.store.get(jobId, { tenant, consistent: true });
    if (current && current.status !== 'QUEUED') assertEditable(current);
    throw new JobNotEditableError(jobId, current?.status ?? 'gone', 'JOB_CHANGED');
  }
}

/**
 * An edit's generation: unique to this attempt, not the record's + 1. Two edits read at one generation
 * (one loses its write), or an edit whose write never landed and the next one, must not send messages
 * of the same generation: the loser's message would be current for the winner's record and run the job
 * from the loser's queue, delay or schedule. Milliseconds × 1000 plus a random 0–999, above the
 * current one: a safe integer until the year 2255. A retry by id after it still adds 1.
 */
export function editGeneration(current: number, now: Date, random: () => number): number {
  return Math.max(current + 1, now.getTime() * 1000 + Math.floor(random() * 1000));
}

/** 409 unless the job is QUEUED and has not run (attempt 0). */
function assertEditable(job: JobRecord): void {
  if (job.status === 'QUEUED' && job.attempt === 0) return;
  const neverStarted = job.status === 'CANCELLED' || job.status === 'EXPIRED';
  throw new JobNotEditableError(job.jobId, job.status, neverStarted && isTerminal(job.status) ? 'JOB_FINISHED' : 'JOB_STARTED');
}

/** The new payload against the type's schema, as at enqueue: a 400 naming `payload.<field>`. */
function validPayload(type: Parameters<typeof getJobDefinition>[0], payload: unknown): unknown {
  const parsed = getJobDefinition(type).payload.safeParse(payload);
  if (parsed.success) return parsed.data;
  const issues = zodIssues(parsed.error).map((issue) => ({ ...issue, path: issue.path === '(root)' ? 'payload' : `payload.${issue.path}` }));
  throw new JobValidationError('payload does not match the job type\'s schema', issues);
}

/**
 * The priority after the edit: the `priority` given, else the one the new payload names (the analyze
 * API's `payload.priority`), else the job's own. A payload that carries its own `priority` field keeps
 * it equal to the job's, so the job never shows two.
 */
function editedPriority(job: JobRecord, edit: JobEdit, payload: unknown): Priority {
  const definition = getJobDefinition(job.type as Parameters<typeof getJobDefinition>[0]);
  if (!isPrioritized(definition)) {
    if (edit.priority !== undefined) throw new JobValidationError('this job type has no priorities', [{ path: 'priority', message: `job type "${job.type}" has no priorities (its definition does not set priorities: true)` }]);
    return 'normal';
  }
  const inPayload = hasOwnPriority(payload) ? priorityOf(payload) : undefined;
  if (edit.priority !== undefined && edit.payload !== undefined && inPayload !== undefined && inPayload !== edit.priority) {
    throw new JobValidationError('priority disagrees with payload.priority', [{ path: 'priority', message: `priority "${edit.priority}" disagrees with payload.priority "${inPayload}"; give one, or the same in both` }]);
  }
  return edit.priority ?? (edit.payload !== undefined ? inPayload : undefined) ?? routingOf(job).priority ?? 'normal';
}

function hasOwnPriority(payload: unknown): payload is { priority: unknown } {
  return typeof payload === 'object' && payload !== null && Object.hasOwn(payload, 'priority');
}

/** When the job is due: its runAt, or its creation. */
function dueOf(job: JobRecord): number {
  return Date.parse(job.runAt ?? job.createdAt);
}

/** How a job whose runAt is not edited reaches its queue again: at once if due, else as planned then. */
function planOfDue(job: JobRecord, now: Date): ReleasePlan {
  if (job.runAt === undefined || Date.parse(job.runAt) <= now.getTime()) return { kind: 'now' };
  return planRelease({ runAt: job.runAt }, now);
}

function withoutFields(job: JobRecord, fields: readonly (keyof JobRecord)[]): JobRecord {
  const copy: Record<string, unknown> = { ...job };
  for (const field of fields) delete copy[field];
  return copy as unknown as JobRecord;
}
