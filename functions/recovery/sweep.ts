import { TransitionConflictError } from '../../shared/domain/errors.js';
import { jobIdTime } from '../../shared/domain/job-id.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { isTerminal } from '../../shared/domain/status.js';
import { MAX_SQS_DELAY_SECONDS } from '../../shared/jobs/enqueue-options.js';
import type { IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RecoveryIndex } from '../../shared/ports/recovery.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import type { FollowUpFlusher } from '../follow-ups/follow-ups.js';
import { claimedAt, DEFAULT_CLAIM_LEASE_MS, sendOnce } from './send-once.js';

export interface RecoverySettings {
  /**
   * A job whose message has not arrived this long after it fell due is presumed unsent (its sender
   * died). Longer than an API request can live, and long enough that a job merely waiting in a
   * queue is rarely taken for one (if it is, it gets a duplicate message, which the consumer absorbs).
   */
  readonly sendGraceMs: number;
  readonly claimLeaseMs: number;
  /** A pass never starts further back than this (after a long outage of the sweep itself). */
  readonly lookbackMs: number;
  /** Sweep index entries handled per run; the rest wait for the next run. */
  readonly batchLimit: number;
}

export const DEFAULT_RECOVERY_SETTINGS: RecoverySettings = { sendGraceMs: 5 * 60_000, claimLeaseMs: DEFAULT_CLAIM_LEASE_MS, lookbackMs: 86_400_000, batchLimit: 500 };

export interface RecoverySweepDeps {
  readonly store: JobStore;
  readonly index: RecoveryIndex;
  readonly queue: JobQueue;
  readonly followUps: FollowUpFlusher;
  readonly logger: Logger;
  /** Re-creates the schedule of a held job whose enqueue died before scheduling it. */
  readonly scheduler?: ReleaseScheduler | undefined;
  /** Tells a keyed enqueue that answered 503 (its key released) from one that died: discard vs send. */
  readonly idempotency?: IdempotencyStore | undefined;
  /** Whether a job type still has a queue; a record of a type that has none can never run (discarded). */
  readonly hasQueue: (type: string) => boolean;
  readonly now?: () => Date;
  readonly settings?: Partial<RecoverySettings>;
}

export interface SweepReport {
  /** Completion webhooks queued that their writer never flushed. */
  flushed: number;
  /** Messages sent for jobs whose sender died (an enqueue, a retry, a redrive) or whose release never came. */
  sent: number;
  /** Held jobs whose schedule was made again. */
  scheduled: number;
  /** Records whose enqueue had answered 503 (or whose type is gone): deleted, nothing ran. */
  discarded: number;
  /** Sweep entries that stood for nothing any more: removed. */
  cleared: number;
  /** Jobs left for a later run: a live claim elsewhere, or an action that failed (logged). */
  deferred: number;
}

type Outcome = keyof SweepReport | 'skipped';

/**
 * Passes over creation time: `prompt` finds jobs due at once (or held) a grace after they were
 * created; `delayed` looks again once an SQS delay (≤ 15 minutes) has surely run out.
 */
const PASSES = [
  { name: 'prompt', lagMs: 0 },
  { name: 'delayed', lagMs: MAX_SQS_DELAY_SECONDS * 1000 },
] as const;

/**
 * The recovery sweep, run every minute or so (on AWS a scheduled Lambda, locally the local scheduler).
 * It finishes what a crash left, each action a conditional write so that it happens once:
 *
 * 1. The sparse sweep index (`sweepAt` ≤ now): a terminal job whose completion webhook was never
 *    flushed (flush, then the conditional clear); a held job past its run time that no release sent
 *    (the scheduler's retries and failure destinations exhausted); a retried or redriven job whose
 *    message never came (its operator's process died) — sent once (`sendOnce`).
 * 2. Jobs enqueued by a sender that died between the record write and the send. They are not in any
 *    index (that would cost every job a write): each pass reads the partitions of the tenants active
 *    over a window of creation time just behind it, for records still marked `sendPending` — the
 *    consumer's first write removes the mark, so only a job whose message never arrived keeps it past
 *    the grace. Keyed enqueues that had answered 503 (their Idempotency-Key released, or taken by
 *    another job) are discarded instead: the client was told the job was not accepted. A pass's
 *    watermark moves on only past jobs it settled, so a failed action is tried again next run.
 */
export class RecoverySweep {
  readonly #deps: RecoverySweepDeps & { now: () => Date };
  readonly #settings: RecoverySettings;

  constructor(deps: RecoverySweepDeps) {
    this.#deps = { now: () => new Date(), ...deps };
    this.#settings = { ...DEFAULT_RECOVERY_SETTINGS, ...deps.settings };
  }

  /** Lambda-shaped handler of the scheduled sweep. */
  readonly handler = async (): Promise<SweepReport> => this.run();

  async run(): Promise<SweepReport> {
    const report: SweepReport = { flushed: 0, sent: 0, scheduled: 0, discarded: 0, cleared: 0, deferred: 0 };
    const count = (outcome: Outcome): void => {
      if (outcome !== 'skipped') report[outcome]++;
    };
    const now = this.#deps.now();
    for (const entry of await this.#deps.index.dueForSweep(now, this.#settings.batchLimit)) count(await this.#settle(() => this.#visit(entry.jobId, entry.sweepAt)));
    for (const pass of PASSES) await this.#pass(pass.name, this.#settings.sendGraceMs + pass.lagMs, count);
    if (Object.values(report).some((n) => n > 0)) this.#deps.logger.info('recovery sweep', { ...report });
    return report;
  }

  /** One job found through the sweep index. */
  async #visit(jobId: string, sweepAt: string): Promise<Outcome> {
    const job = await this.#deps.store.get(jobId, { consistent: true });
    if (!job) return 'skipped'; // gone (expired or discarded): its index entry went with it
    if (job.webhookPending !== undefined && isTerminal(job.status)) {
      const flushed = await this.#deps.followUps.flush(job);
      return flushed === 'flushed' ? 'flushed' : flushed === 'already-flushed' ? 'skipped' : 'deferred';
    }
    if (job.status === 'QUEUED' && job.sendPending !== undefined) return this.#recoverSend(job);
    return (await this.#deps.store.clearSweep(jobId, sweepAt)) ? 'cleared' : 'skipped';
  }

  /** One pass over the creation-time window [watermark, now − lag − grace). */
  async #pass(name: string, lagMs: number, count: (outcome: Outcome) => void): Promise<void> {
    const { index, logger } = this.#deps;
    const now = this.#deps.now();
    const to = new Date(now.getTime() - lagMs);
    const oldest = new Date(now.getTime() - this.#settings.lookbackMs);
    let from = (await index.watermark(name)) ?? oldest;
    if (from < oldest) {
      logger.warn('recovery sweep: watermark older than the lookback; jobs created before it are not looked at', { pass: name, watermark: from.toISOString(), lookbackMs: this.#settings.lookbackMs });
      from = oldest;
    }
    if (from >= to) return;
    const records = await index.pendingSends(await index.activeTenantHashes(from, to), from, to);
    let unsettled: Date | undefined;
    for (const job of records) {
      const outcome = await this.#settle(() => this.#recoverSend(job, name === PASSES[0].name));
      count(outcome);
      if (outcome === 'deferred') {
        const created = new Date(jobIdTime(job.jobId)!);
        if (!unsettled || created < unsettled) unsettled = created;
      }
    }
    const next = unsettled ?? to;
    if (next.getTime() !== from.getTime()) await index.setWatermark(name, next);
  }

  /**
   * A QUEUED job whose record still says its send is pending. `prompt`: in the first pass, a job not yet
   * due (an SQS delay still running) is left for the `delayed` pass.
   */
  async #recoverSend(job: JobRecord, prompt = false): Promise<Outcome> {
    const { store, logger } = this.#deps;
    const now = this.#deps.now();
    const pending = job.sendPending;
    if (job.status !== 'QUEUED' || pending === undefined) return 'skipped';
    const runAt = job.runAt !== undefined ? Date.parse(job.runAt) : undefined;
    const heldLater = runAt !== undefined && runAt - now.getTime() > MAX_SQS_DELAY_SECONDS * 1000;

    if (pending === 'held') {
      // A schedule will release it; the sweep index brings it here only once its run time passed unreleased.
      if (runAt !== undefined && runAt + this.#settings.sendGraceMs > now.getTime()) return 'skipped';
      return this.#send(job, 0);
    }
    const claimed = claimedAt(pending);
    if (claimed !== undefined) {
      return claimed + this.#settings.claimLeaseMs > now.getTime() ? 'deferred' : this.#send(job, delayOf(runAt, now));
    }
    // `pending`: its sender died, or it sent and the message has not arrived yet (give it the grace).
    const dueAt = Math.max(jobIdTime(job.jobId) ? Date.parse(jobIdTime(job.jobId)!) : 0, heldLater ? 0 : (runAt ?? 0));
    if (dueAt + this.#settings.sendGraceMs > now.getTime()) return prompt ? 'skipped' : 'deferred';
    if (await this.#answeredUnavailable(job)) {
      try {
        await store.discard(job.jobId, { sendPending: pending });
        logger.warn('recovery sweep: discarded a job whose enqueue had answered 503 (its key was released)', { jobId: job.jobId });
        return 'discarded';
      } catch (error) {
        if (error instanceof TransitionConflictError) return 'skipped';
        throw error;
      }
    }
    if (heldLater) {
      const { scheduler } = this.#deps;
      if (!scheduler) {
        logger.error('recovery sweep: a held job was never scheduled and no scheduler is configured', { jobId: job.jobId });
        return 'deferred';
      }
      // Idempotent by the schedule's name: if the dead enqueue did create it, this changes nothing.
      await scheduler.scheduleRelease(job.jobId, new Date(runAt), job.generation ?? 0);
      return (await store.updateSendPending(job.jobId, pending, 'held', job.generation ?? 0)) ? 'scheduled' : 'skipped';
    }
    return this.#send(job, delayOf(runAt, now));
  }

  async #send(job: JobRecord, delaySeconds: number): Promise<Outcome> {
    const outcome = await sendOnce({ ...this.#deps, claimLeaseMs: this.#settings.claimLeaseMs }, job, { delaySeconds });
    if (outcome === 'sent') this.#deps.logger.warn('recovery sweep: sent the message of a job that never got one', { jobId: job.jobId, was: job.sendPending });
    return outcome === 'sent' ? 'sent' : outcome === 'busy' ? 'deferred' : 'skipped';
  }

  /**
   * Whether the client was told this job was not accepted: a keyed enqueue releases its key before it
   * answers 503 (a retry may then have made another job under it). Plain enqueues cannot say: their
   * record is sent (a crash before the answer looks the same as a 503 whose clean-up also failed).
   * A record of a type no longer registered cannot run at all.
   */
  async #answeredUnavailable(job: JobRecord): Promise<boolean> {
    if (!this.#deps.hasQueue(job.type)) return true;
    const { idempotency } = this.#deps;
    if (job.idempotencyKey === undefined || !idempotency) return false;
    const entry = await idempotency.get(job.tenant, job.idempotencyKey);
    return entry?.jobId !== job.jobId;
  }

  /** Runs one action; a failure is logged and the job left for the next run. */
  async #settle(action: () => Promise<Outcome>): Promise<Outcome> {
    try {
      return await action();
    } catch (error) {
      this.#deps.logger.error('recovery sweep: an action failed; the job is left for the next run', { error });
      return 'deferred';
    }
  }
}

/** The SQS delay that makes a job due at `runAt` start no earlier than that. */
function delayOf(runAt: number | undefined, now: Date): number {
  return runAt === undefined ? 0 : Math.min(MAX_SQS_DELAY_SECONDS, Math.max(0, Math.ceil((runAt - now.getTime()) / 1000)));
}
