import { randomUUID } from 'node:crypto';
import { REDRIVE_CONSUMER } from '../../shared/config/redrive.js';
import { RedriveInProgressError } from '../../shared/domain/errors.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { QueueAdmin } from '../../shared/ports/queue-admin.js';
import type { RedriveMove, RedriveNudge, RedriveNudges, RedriveTaskChanges, RedriveTaskRecord, RedriveTaskStore, RemovableTaskField } from '../../shared/ports/redrive-tasks.js';

/** What a redrive does to one listed record. */
export type RequeueOutcome =
  /** Put back (DEAD → QUEUED, or a given-up webhook back to pending) by this call. */
  | 'requeued'
  /** Already put back by this task (an earlier, interrupted run of the same page). */
  | 'already'
  /** Left alone: no longer dead, or dead again since the task began (the next redrive takes it). */
  | 'skipped'
  /** Could not be put back now (logged): it stays dead and listed. */
  | 'failed';

/** The records side of one queue's redrive. */
export interface RedriveSource {
  /** Ids of the queue's listed dead records after `after`, ascending, at most `limit`. */
  page(after: string | undefined, limit: number): Promise<string[]>;
  /** Puts one record back, conditionally; only records dead since before `task.createdAt`. */
  requeue(jobId: string, task: RedriveTaskRecord): Promise<RequeueOutcome>;
}

export interface RedriveSettings {
  readonly pageSize: number;
  readonly concurrency: number;
  /** How long a consumer holds a task: longer than its function timeout, so a dead one's lease runs out. */
  readonly leaseMs: number;
  /** A task unchanged this long, its lease run out, is taken over by any nudge of it. */
  readonly stallMs: number;
  /** Time kept back from the function's remaining time (the last checkpoint and the next nudge). */
  readonly reserveMs: number;
  /** Between looks at a running move. */
  readonly moveCheckSeconds: number;
  /** Failed move starts before the task gives up (FAILED). */
  readonly maxStartFailures: number;
}

export const DEFAULT_REDRIVE_SETTINGS: RedriveSettings = {
  pageSize: 100,
  concurrency: 16,
  leaseMs: REDRIVE_CONSUMER.leaseMs,
  stallMs: REDRIVE_CONSUMER.stallMs,
  reserveMs: 10_000,
  moveCheckSeconds: 5,
  maxStartFailures: 10,
};

export interface RedriveRunnerDeps {
  readonly tasks: RedriveTaskStore;
  readonly nudges: RedriveNudges;
  /** The DLQ → queue moves (each queue's DLQ found from its redrive policy). */
  readonly queues: Pick<QueueAdmin, 'startRedrive' | 'latestRedrive'>;
  /** The records side of a queue; undefined for a queue this deployment does not have. */
  readonly source: (queue: string) => RedriveSource | undefined;
  readonly logger: Logger;
  readonly now?: () => Date;
  readonly newId?: () => string;
  readonly settings?: Partial<RedriveSettings>;
}

/** What one nudge came to. */
export type NudgeOutcome =
  /** The task finished (COMPLETED or FAILED) in this run. */
  | { readonly kind: 'finished'; readonly task: RedriveTaskRecord }
  /** Worked on; the next nudge is sent. */
  | { readonly kind: 'continued'; readonly task: RedriveTaskRecord; readonly delaySeconds: number }
  /** Another consumer holds the task right now: try this nudge again once its lease has run out. */
  | { readonly kind: 'busy'; readonly retryAfterSeconds: number }
  /** Nothing to do: an old nudge, a finished or replaced task. */
  | { readonly kind: 'dropped'; readonly reason: string };

/**
 * Carries out redrive tasks, one nudge (an SQS message) at a time. A task goes:
 * 1. REQUEUEING — the queue's listed dead records, a page at a time in id order: each put back by a
 *    conditional write (only a record dead since before the task began, unchanged since it was read),
 *    then the page's checkpoint (cursor and counts) on the task;
 * 2. MOVING — once every page is done, the DLQ's messages are moved back to the queue
 *    (StartMessageMoveTask), and the move is followed until it ends;
 * 3. COMPLETED, or FAILED (the move failed, or could not be started after repeated tries).
 * Records first, messages after: a moved message always finds its record waiting for it.
 *
 * One consumer at a time: a run claims a lease on the task, and the nudge it was given must be the
 * task's current one. Before it stops it records the next nudge's id and sends it, so an old or
 * duplicated message finds itself superseded and is dropped. A run that dies mid-page leaves the task
 * at its last checkpoint: its message comes back (SQS redelivers what was not acknowledged) and the page
 * is done again — records already put back are recognised, none is put back twice. A run that dies
 * after recording its successor but before sending it leaves a task no message drives: its own
 * message, come back, takes the task over once it has been still for `stallMs`; so does a new
 * request for a redrive of that queue.
 */
export class RedriveRunner {
  readonly #deps: RedriveRunnerDeps & { now: () => Date; newId: () => string };
  readonly #settings: RedriveSettings;

  constructor(deps: RedriveRunnerDeps) {
    this.#deps = { now: () => new Date(), newId: () => randomUUID(), ...deps };
    this.#settings = { ...DEFAULT_REDRIVE_SETTINGS, ...deps.settings };
  }

  get settings(): RedriveSettings {
    return this.#settings;
  }

  /** Works on the task `nudge` names while `remainingMs()` allows, then hands on. */
  async handle(nudge: RedriveNudge, remainingMs: () => number): Promise<NudgeOutcome> {
    const { tasks, logger } = this.#deps;
    const log = logger.child({ queue: nudge.queue, taskId: nudge.taskId });
    const seen = await tasks.get(nudge.queue);
    if (!seen || seen.taskId !== nudge.taskId) return { kind: 'dropped', reason: 'no such task (replaced by a newer one)' };
    if (seen.state === 'COMPLETED' || seen.state === 'FAILED') return { kind: 'dropped', reason: `the task is ${seen.state}` };
    const source = this.#deps.source(nudge.queue);
    if (!source) return { kind: 'dropped', reason: `no queue "${nudge.queue}" here` };

    let task = await this.#claim(seen, nudge, log);
    if (!task) return { kind: 'dropped', reason: 'superseded by a newer nudge' };
    if (task === 'busy') {
      const leaseLeftMs = seen.leaseUntil ? Date.parse(seen.leaseUntil) - this.#deps.now().getTime() : 0;
      return { kind: 'busy', retryAfterSeconds: Math.max(1, Math.ceil(leaseLeftMs / 1000)) };
    }

    let delaySeconds = 0;
    while (remainingMs() > this.#settings.reserveMs) {
      if (task.state === 'REQUEUEING') {
        const next = await this.#requeuePage(task, source, log);
        if (!next) return { kind: 'dropped', reason: 'lost the task mid-run' };
        task = next;
        continue;
      }
      if (task.state === 'MOVING') {
        const step = await this.#move(task, log);
        if (!step) return { kind: 'dropped', reason: 'lost the task mid-run' };
        task = step.task;
        if (task.state !== 'MOVING') break;
        // The move runs on its own: look again a little later, from a new nudge.
        delaySeconds = step.waitSeconds;
        break;
      }
      break;
    }
    if (task.state === 'COMPLETED' || task.state === 'FAILED') {
      log.info('redrive finished', { state: task.state, requeued: task.requeued, skipped: task.skipped, failures: task.failures, moved: task.move?.moved });
      return { kind: 'finished', task };
    }
    // Hand on: record the successor, then send it. A crash between the two is the stall case.
    const successor = this.#deps.newId();
    const handed = await this.#write(task, { nudge: successor }, ['leaseUntil']);
    if (!handed) return { kind: 'dropped', reason: 'lost the task before handing it on' };
    await this.#deps.nudges.send({ queue: task.queue, taskId: task.taskId, nudge: successor }, { delaySeconds });
    return { kind: 'continued', task: handed, delaySeconds };
  }

  /** The task claimed for this run; undefined when the nudge is an old one; `busy` when another run holds it. */
  async #claim(seen: RedriveTaskRecord, nudge: RedriveNudge, log: Logger): Promise<RedriveTaskRecord | 'busy' | undefined> {
    const now = this.#deps.now();
    const leaseUntil = new Date(now.getTime() + this.#settings.leaseMs).toISOString();
    const leaseFree = !seen.leaseUntil || Date.parse(seen.leaseUntil) < now.getTime();
    if (seen.nudge !== nudge.nudge) {
      // An old nudge (a duplicate, or one redelivered after its run handed on): dropped — unless the
      // task has stood still, its lease run out, so the successor was never sent.
      const stalled = leaseFree && now.getTime() - Date.parse(seen.updatedAt) > this.#settings.stallMs;
      if (!stalled) return undefined;
      const adopted = await this.#deps.tasks.update(seen.queue, { taskId: seen.taskId, nudge: seen.nudge, updatedAt: seen.updatedAt, leaseFreeAt: now.toISOString() }, { nudge: nudge.nudge, leaseUntil, leaseOwner: this.#deps.newId() });
      if (adopted) log.warn('redrive task had stalled (its next nudge was never sent); taken over', { stalledSince: seen.updatedAt });
      return adopted;
    }
    if (!leaseFree) return 'busy';
    return (await this.#deps.tasks.update(seen.queue, { taskId: seen.taskId, nudge: nudge.nudge, leaseFreeAt: now.toISOString() }, { leaseUntil, leaseOwner: this.#deps.newId() })) ?? 'busy';
  }

  /**
   * One page of records, then its checkpoint; the last page moves the task on to MOVING. The page's
   * ids are recorded first, so a run that dies mid-page leaves them for the next run to redo.
   */
  async #requeuePage(task: RedriveTaskRecord, source: RedriveSource, log: Logger): Promise<RedriveTaskRecord | undefined> {
    let ids = task.page;
    if (!ids) {
      ids = await source.page(task.cursor, this.#settings.pageSize);
      const started = await this.#write(task, { page: ids });
      if (!started) return undefined;
      task = started;
    }
    const counts = { requeued: 0, skipped: 0, failures: 0 };
    await mapLimited(ids, this.#settings.concurrency, async (jobId) => {
      const outcome = await source.requeue(jobId, task);
      if (outcome === 'requeued' || outcome === 'already') counts.requeued++;
      else if (outcome === 'skipped') counts.skipped++;
      else counts.failures++;
    });
    const lastPage = ids.length < this.#settings.pageSize;
    // Counts of a page are added once, with its checkpoint: a page redone after a crash was never counted.
    const changes: RedriveTaskChanges = {
      requeued: task.requeued + counts.requeued,
      skipped: task.skipped + counts.skipped,
      failures: task.failures + counts.failures,
      pages: task.pages + 1,
      ...(ids.length ? { cursor: ids[ids.length - 1]! } : {}),
      ...(lastPage ? { state: 'MOVING' as const, move: { requestedAt: this.#deps.now().toISOString(), moved: 0, toMove: 0 } } : {}),
    };
    if (lastPage) log.info('redrive: records put back; moving the messages', { requeued: changes.requeued, skipped: changes.skipped, failures: changes.failures });
    return this.#write(task, changes, ['page']);
  }

  /** Starts the move (or finds the one this task started), or looks at it. */
  async #move(task: RedriveTaskRecord, log: Logger): Promise<{ task: RedriveTaskRecord; waitSeconds: number } | undefined> {
    let move: RedriveMove = task.move ?? { requestedAt: this.#deps.now().toISOString(), moved: 0, toMove: 0 };
    const { queues } = this.#deps;
    let latest = await queues.latestRedrive(task.queue);
    const ours = move.previousStartedAt !== undefined && latest !== undefined && latest.startedAt !== move.previousStartedAt;
    if (!move.startedAt && !ours) {
      // What the DLQ's last move was before ours, recorded before ours starts.
      let before = move;
      if (before.previousStartedAt === undefined) {
        before = { ...move, previousStartedAt: latest?.startedAt ?? '' };
        const noted = await this.#write(task, { move: before });
        if (!noted) return undefined;
        task = noted;
      }
      try {
        await queues.startRedrive(task.queue);
      } catch (error) {
        const startFailures = (before.startFailures ?? 0) + 1;
        const reason = error instanceof RedriveInProgressError ? 'another message move is running on this DLQ' : error instanceof Error ? error.message : String(error);
        log.warn('redrive: the message move did not start; trying again', { reason, startFailures });
        if (startFailures >= this.#settings.maxStartFailures) {
          return this.#finishWith(task, 'FAILED', { move: { ...before, startFailures, failureReason: reason }, failures: task.failures + 1, error: `the message move could not be started (${reason}); the records put back are sent again by the recovery sweep` });
        }
        const next = await this.#write(task, { move: { ...before, startFailures } });
        return next && { task: next, waitSeconds: this.#settings.moveCheckSeconds * startFailures };
      }
      move = before;
      latest = await queues.latestRedrive(task.queue);
      // Just started: recorded as ours even before SQS lists it.
      if (!latest || latest.startedAt === before.previousStartedAt) {
        const next = await this.#write(task, { move: { ...before, startedAt: this.#deps.now().toISOString(), status: 'RUNNING', toMove: task.dlqMessages } });
        return next && { task: next, waitSeconds: this.#settings.moveCheckSeconds };
      }
    }
    if (!latest) return { task, waitSeconds: this.#settings.moveCheckSeconds };
    const seen: RedriveMove = { ...move, startedAt: move.startedAt ?? latest.startedAt, status: latest.status, moved: latest.moved, toMove: latest.toMove, ...(latest.failureReason ? { failureReason: latest.failureReason } : {}) };
    if (latest.status === 'RUNNING') {
      const next = await this.#write(task, { move: seen });
      return next && { task: next, waitSeconds: this.#settings.moveCheckSeconds };
    }
    if (latest.status === 'COMPLETED') return this.#finishWith(task, 'COMPLETED', { move: seen });
    return this.#finishWith(task, 'FAILED', { move: seen, error: `the message move ${latest.status.toLowerCase()}${latest.failureReason ? `: ${latest.failureReason}` : ''}` });
  }

  async #finishWith(task: RedriveTaskRecord, state: 'COMPLETED' | 'FAILED', changes: RedriveTaskChanges): Promise<{ task: RedriveTaskRecord; waitSeconds: number } | undefined> {
    const next = await this.#write(task, { ...changes, state, finishedAt: this.#deps.now().toISOString() }, ['leaseUntil']);
    return next && { task: next, waitSeconds: 0 };
  }

  /**
   * A checkpoint: conditional on the task still being driven by this run's nudge and its lease still
   * held by this run (a run that overran its lease and was taken over stops here); renews the lease,
   * or gives it up with `leaseUntil` in `remove`.
   */
  async #write(task: RedriveTaskRecord, changes: RedriveTaskChanges, remove: readonly RemovableTaskField[] = []): Promise<RedriveTaskRecord | undefined> {
    const release = remove.includes('leaseUntil');
    const renew = release ? {} : { leaseUntil: new Date(this.#deps.now().getTime() + this.#settings.leaseMs).toISOString() };
    const removed: RemovableTaskField[] = release ? [...remove, 'leaseOwner'] : [...remove];
    const expect = { taskId: task.taskId, nudge: task.nudge, ...(task.leaseOwner !== undefined ? { leaseOwner: task.leaseOwner } : {}) };
    const next = await this.#deps.tasks.update(task.queue, expect, { ...renew, ...changes }, removed);
    if (!next) this.#deps.logger.warn('redrive: the task was taken over by another run; stopping', { queue: task.queue, taskId: task.taskId });
    return next;
  }
}

/** Runs `work` over `items` with at most `limit` at once. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}
