import { TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { DeadLetterIndex } from '../../shared/ports/dead-letters.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RedriveTaskRecord } from '../../shared/ports/redrive-tasks.js';
import type { FollowUpFlusher } from '../follow-ups/follow-ups.js';
import type { RedriveSource, RequeueOutcome } from './redrive-runner.js';

/**
 * Fields a finished job carries that a job waiting to run again must not (its holder included: a new
 * message runs it). startBy too: a job an operator runs again is not held to the start-by time of its
 * first enqueue. A stored result's object is left to the bucket's lifecycle rule.
 */
export const FINISHED_FIELDS = ['finishedAt', 'ttl', 'nextAttemptAt', 'cancelRequested', 'result', 'resultRef', 'progressMessage', 'startedAt', 'messageId', 'receiveCount', 'startBy'] as const;
/** A DEAD job's place in the dead-letter listing: the write that takes it out of DEAD removes it. */
export const LISTING_FIELDS = ['deadLetterType', 'deadLetterUntil'] as const;
/**
 * A requeued job's message should have run it within this; past it the recovery sweep sends a fresh
 * one. Long, because nothing confirms a moved message: it covers the rest of the task (every page, then
 * the move) and the backlog a large redrive puts in the queue — a job still waiting past it gets a
 * second message, which the consumer absorbs (same generation), and a task whose move failed leaves
 * its jobs to the sweep after it.
 */
export const DEFAULT_REQUEUE_SEND_GRACE_MS = 60 * 60_000;

export interface DeadJobSourceDeps {
  readonly type: string;
  readonly store: JobStore;
  readonly deadLetters: DeadLetterIndex;
  /** Flushes the webhook a DEAD job still owes before it is put back to QUEUED. */
  readonly followUps: FollowUpFlusher;
  readonly logger: Logger;
  readonly sendGraceMs?: number;
  readonly now?: () => Date;
}

/** A QUEUED job whose message is pending, with the sweep's entry in case it never comes. */
export function pendingSend(now: Date, graceMs: number): { sendPending: 'pending'; sweepAt: string } {
  return { sendPending: 'pending', sweepAt: new Date(now.getTime() + graceMs).toISOString() };
}

/**
 * The DEAD records of one job type, as a redrive task puts them back. A record is put back only if it
 * died before the task began and this task has not put it back already (`redrivenAt` at or after the
 * task's start says it has): a job that runs again and dies again during the task stays DEAD, and a
 * page redone after a crash recognises its own work. The write is conditional on DEAD and on the
 * generation read, so a job retried by id meanwhile is left alone.
 */
export class DeadJobSource implements RedriveSource {
  readonly #deps: Required<DeadJobSourceDeps>;

  constructor(deps: DeadJobSourceDeps) {
    this.#deps = { now: () => new Date(), sendGraceMs: DEFAULT_REQUEUE_SEND_GRACE_MS, ...deps };
  }

  page(after: string | undefined, limit: number): Promise<string[]> {
    return this.#deps.deadLetters.after(this.#deps.type, { limit, ...(after !== undefined ? { after } : {}) });
  }

  async requeue(jobId: string, task: RedriveTaskRecord): Promise<RequeueOutcome> {
    const { store, followUps, logger } = this.#deps;
    const before = await store.get(jobId);
    if (!before) return 'skipped';
    const putBackByThisTask = before.redrivenAt !== undefined && before.redrivenAt >= task.createdAt;
    if (before.status !== 'DEAD') return putBackByThisTask ? 'already' : 'skipped';
    if (putBackByThisTask || diedAfter(before, task.createdAt)) return 'skipped';
    if ((await followUps.flush(before)) === 'failed') {
      // Its DLQ message moves back, finds the record DEAD and returns to the DLQ: the next redrive takes it.
      logger.warn('redrive: a dead job still owes its completion webhook, which could not be queued; left DEAD', { jobId });
      return 'failed';
    }
    const now = this.#deps.now();
    try {
      await store.transition({
        jobId,
        from: ['DEAD'],
        to: 'QUEUED',
        expectGeneration: before.generation ?? 0,
        // attempt 0: the moved message runs attempt 1 of a fresh budget. The generation stays: the move
        // returns the same message body.
        set: { attempt: 0, progress: 0, redriveCount: (before.redriveCount ?? 0) + 1, redrivenAt: now.toISOString(), ...pendingSend(now, this.#deps.sendGraceMs) },
        remove: [...FINISHED_FIELDS, ...LISTING_FIELDS],
      });
      return 'requeued';
    } catch (error) {
      if (error instanceof TransitionConflictError) {
        // Another run of this task may have put it back a moment ago (one that overran its lease).
        const now = await store.get(jobId);
        return now && now.status !== 'DEAD' && now.redrivenAt !== undefined && now.redrivenAt >= task.createdAt ? 'already' : 'skipped';
      }
      logger.warn('redrive: could not put a dead job back; it stays DEAD and listed', { jobId, error });
      return 'failed';
    }
  }
}

function diedAfter(job: JobRecord, iso: string): boolean {
  return job.finishedAt !== undefined && job.finishedAt >= iso;
}
