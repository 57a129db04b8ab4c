import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cancelJob } from '../../../functions/api/job-cancellation.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { RecoverySweep } from '../../../functions/recovery/sweep.js';
import { editJob } from '../../../functions/api/job-edit.js';
import type { SqsRecordLike } from '../../../functions/worker/context.js';
import { JobWorker, type RecordOutcome } from '../../../functions/worker/job-worker.js';
import { DependencyUnavailableError, PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import type { JobMessage, JobRecord } from '../../../shared/domain/job.js';
import { canTransition, isTerminal, type JobStatus } from '../../../shared/domain/status.js';
import { defineJob } from '../../../shared/jobs/define.js';
import { queueSettingsOf } from '../../../shared/jobs/derived.js';
import { analysisJob } from '../../../shared/jobs/analysis.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { JobStore, Transition } from '../../../shared/ports/job-store.js';
import { messageFor, queuedJob } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemoryRecoveryIndex } from '../../helpers/memory-recovery-index.js';
import { SimQueue } from '../../helpers/sim-queue.js';

/**
 * The worker against a model: one job, its message (and duplicate copies) in a modelled SQS queue, and
 * an adversary that interleaves deliveries, throttled receives (returned without a run), duplicate
 * copies, visibility timeouts running out, crashes of a consumer between any two of its store calls,
 * store failures before or after a write lands, cancellations, a consumer that dies right after its
 * terminal write landed (before it could flush what that write owes), a webhook queue that is down, and
 * the recovery sweep running at any moment. The job's enqueue may have died between the record write
 * and the send (no message at all). After the adversary, the sweep and healthy consumers finish.
 * Invariants:
 * - every status change is legal in the state machine; a terminal status never changes; attempts never fall;
 * - no handler starts on a job whose record is already terminal, nor with an attempt past maxAttempts;
 * - attempts count handler runs: the recorded attempt never exceeds the handler runs so far;
 * - a DEAD job ran maxAttempts times and says so, unless the receive-count safety net buried it;
 * - with ttlSeconds (a start-by time) and a clock that may pass it: an EXPIRED job never ran, a job that
 *   ran never ends EXPIRED, and only a job past its start-by time expires;
 * - edits of the waiting job (functions/api/job-edit.ts: the next generation's message first, then the
 *   record; sometimes the write never lands): a SUCCEEDED job's result comes from a run that saw its
 *   final payload — no run of an edited-away payload is ever recorded;
 * - in the end the job is terminal, no message is left in the queue, and the DLQ holds exactly one
 *   message if the job is DEAD and none otherwise;
 * - the job (it has a callbackUrl) ending SUCCEEDED, FAILED, DEAD or EXPIRED had its completion webhook queued
 *   at least once; the dead-letter listing holds it exactly when it is DEAD; nothing is left owed
 *   (no send pending, no webhook pending).
 */

type Outcome = 'success' | 'retryable' | 'permanent' | 'progress';
type Command =
  | { kind: 'deliver'; pick: number }
  | { kind: 'throttle'; pick: number }
  | { kind: 'settle'; pick: number; outcome: Outcome }
  | { kind: 'crash'; pick: number }
  | { kind: 'expire'; pick: number }
  | { kind: 'duplicate'; pick: number }
  | { kind: 'cancel' }
  | { kind: 'late' }
  | { kind: 'edit' }
  | { kind: 'editWrite'; lands: boolean }
  | { kind: 'storeFault'; when: 'before' | 'after' }
  | { kind: 'crashAfterTerminalWrite' }
  | { kind: 'webhookOutage' }
  | { kind: 'sweep' };

// Retryable failures weigh most, so that runs reach DEAD (and its hand-off to the DLQ) often.
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Outcome>('retryable') },
  { weight: 1, arbitrary: fc.constantFrom<Outcome>('success', 'permanent', 'progress') },
);

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('throttle' as const), pick: fc.nat(9) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(9), outcome: outcomeArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crash' as const), pick: fc.nat(9) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('expire' as const), pick: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('duplicate' as const), pick: fc.nat(9) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('late' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('edit' as const) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('editWrite' as const), lands: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('storeFault' as const), when: fc.constantFrom<'before' | 'after'>('before', 'after') }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('crashAfterTerminalWrite' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('webhookOutage' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
);

interface Run {
  readonly record: SqsRecordLike;
  readonly done: Promise<RecordOutcome>;
  release(outcome: Outcome): void;
  crashed: boolean;
  /** Settles when the consumer dies on its own (after a terminal write, see `crashAfterTerminalWrite`). */
  readonly died: Promise<void>;
}

const TERMINAL: readonly string[] = ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'];

const never = new Promise<never>(() => undefined);

/** The world of one property run. */
class World {
  readonly store = new MemoryJobStore();
  readonly queue: SimQueue;
  readonly violations: string[] = [];
  readonly pending: Run[] = [];
  /** The attempt of every handler run, in order. */
  readonly runs: number[] = [];
  pendingFault: 'before' | 'after' | undefined;
  /** Armed: the next consumer whose terminal write lands dies at once, before anything else. */
  crashAfterTerminalWrite = false;
  /** A consumer died right after writing DEAD (before it could hand the message to the DLQ). */
  diedAfterDeadWrite = false;
  /** Completion webhooks queued, by job id. */
  readonly webhooks: string[] = [];
  /** While true, queueing a webhook fails. */
  outboxDown = false;
  readonly index = new MemoryRecoveryIndex(this.store);
  readonly job: JobRecord;
  readonly definition;
  /** How far the workers' clock runs ahead of the real one: `late` moves it past the start-by time. */
  skewMs = 0;
  /** Whether any worker expired the job while its clock was past the start-by time. */
  expiredAfterStartBy = false;
  edits = 0;
  pendingEdit: { decide(lands: boolean): void; done: Promise<void> } | undefined;

  constructor(claim: 'lazy' | 'eager', readonly sentAtEnqueue: boolean, withTtl: boolean) {
    // With ttlSeconds: due now, to be started within a minute (of the workers' clock).
    this.job = queuedJob({ callbackUrl: 'https://hooks.example.com/model', sendPending: 'pending', ...(withTtl ? { startBy: new Date(Date.now() + 60_000).toISOString() } : {}) });
    // Lazy: RUNNING is never written within the test (runningWriteDelayMs below) — the fast path.
    // Eager: RUNNING is written before the handler starts.
    // Two attempts, so that a few failing settles reach DEAD and its hand-off to the DLQ.
    this.definition = defineJob({ type: 'analysis', description: 'model', payload: analysisJob.payload, settings: { maxAttempts: 2, claim } });
    this.queue = new SimQueue(queueSettingsOf(this.definition).maxReceiveCount);
  }

  /**
   * The enqueue: tenant noted, record written; then the message sent — unless the API died first.
   * `receivedBefore`: receives the message spent before the run (throttled ones), up to the queue's limit.
   */
  async setup(receivedBefore: number): Promise<void> {
    await this.index.note(this.job.tenant, new Date());
    await this.store.create(this.job);
    if (this.sentAtEnqueue) this.queue.put(JSON.stringify(messageFor(this.job)), Date.now() - 60_000, receivedBefore);
  }

  /**
   * The recovery sweep, with no grace (the model has no clock: a pending send may be one still in the
   * queue, so the sweep may add a duplicate message — which must be harmless) and a fresh window.
   */
  async sweep(): Promise<void> {
    this.index.watermarks.clear();
    const queue = { send: async (message: JobMessage) => void this.queue.put(JSON.stringify(message), Date.now()), changeVisibility: async () => undefined };
    await new RecoverySweep({
      store: this.store,
      index: this.index,
      queue,
      followUps: this.consumerPorts(this.store).followUps,
      logger: silentLogger,
      hasQueue: () => true,
      now: () => new Date(Date.now() + 3_600_000),
      settings: { sendGraceMs: 0, claimLeaseMs: 0 },
    }).run();
  }

  /** The consumer's store and follow-up flusher as production wires them, over one consumer's view. */
  consumerPorts(view: JobStore): { store: JobStore; followUps: FollowUpFlusher } {
    const outbox = {
      enqueue: async (delivery: { jobId: string }) => {
        if (this.outboxDown) throw new DependencyUnavailableError('sqs', 'injected: webhook queue down');
        this.webhooks.push(delivery.jobId);
      },
    };
    return { store: view, followUps: new FollowUpFlusher({ store: view, outbox, logger: silentLogger }) };
  }

  /** Job ids the dead-letter listing holds (the sparse index reads `deadLetterType` off the items). */
  deadLetterListing(): string[] {
    return [...this.store.jobs.values()].filter((job) => job.deadLetterType === this.definition.type).map((job) => job.jobId);
  }

  /** A store as one consumer sees it: after its crash, its calls never return. */
  storeFor(run: { crashed: boolean; die?: () => void }): JobStore {
    const base = this.store;
    const guard = async <T>(call: () => Promise<T>, write: boolean): Promise<T> => {
      if (run.crashed) return never;
      const fault = write ? this.pendingFault : undefined;
      if (fault) this.pendingFault = undefined;
      if (fault === 'before') throw new DependencyUnavailableError('dynamodb', 'injected: write refused');
      const result = await call();
      if (fault === 'after') throw new DependencyUnavailableError('dynamodb', 'injected: write applied, answer lost');
      return result;
    };
    const transition = async (t: Transition): Promise<JobRecord> => {
      const record = await guard(() => this.#checkedTransition(t), true);
      if (this.crashAfterTerminalWrite && TERMINAL.includes(record.status)) {
        // The write landed; the consumer dies before it can flush or acknowledge anything.
        this.crashAfterTerminalWrite = false;
        if (record.status === 'DEAD') this.diedAfterDeadWrite = true;
        run.crashed = true;
        run.die?.();
        return never;
      }
      return record;
    };
    return {
      create: (job) => guard(() => base.create(job), true),
      get: (jobId, options) => guard(() => base.get(jobId, options), false),
      getMany: (jobIds, options) => guard(() => base.getMany(jobIds, options), false),
      transition,
      recordProgress: (jobId, attempt, progress, message) => guard(() => base.recordProgress(jobId, attempt, progress, message), true),
      discard: (jobId, options) => guard(() => base.discard(jobId, options), true),
      requestCancel: (jobId) => guard(() => base.requestCancel(jobId), true),
      clearWebhookPending: (jobId, finishedAt) => guard(() => base.clearWebhookPending(jobId, finishedAt), true),
      updateSendPending: (jobId, seen, next) => guard(() => base.updateSendPending(jobId, seen, next), true),
      clearSweep: (jobId, sweepAt) => guard(() => base.clearSweep(jobId, sweepAt), true),
    };
  }

  async #checkedTransition(t: Transition): Promise<JobRecord> {
    const before = this.store.jobs.get(t.jobId);
    if (t.to === 'EXPIRED') this.expiredAfterStartBy = before?.startBy !== undefined && this.now() > Date.parse(before.startBy);
    const after = await this.store.transition(t);
    this.#checkChange(before, after);
    // An eager claim records RUNNING just before its handler starts; every other write follows its run.
    const runs = this.runs.length + (t.to === 'RUNNING' ? 1 : 0);
    if (after.attempt > runs) this.violations.push(`attempt ${after.attempt} recorded after ${this.runs.length} handler run(s)`);
    return after;
  }

  #checkChange(before: JobRecord | undefined, after: JobRecord): void {
    if (!before) return;
    const legal = canTransition(before.status, after.status) || (before.status === after.status && after.attempt > before.attempt);
    if (!legal) this.violations.push(`illegal ${before.status}@${before.attempt} → ${after.status}@${after.attempt}`);
    if (isTerminal(before.status)) this.violations.push(`terminal ${before.status} changed to ${after.status}`);
    if (after.attempt < before.attempt) this.violations.push(`attempt fell ${before.attempt} → ${after.attempt}`);
  }

  now(): number {
    return Date.now() + this.skewMs;
  }

  /** Receives `message` and runs a consumer on it up to its handler's gate (or its end). */
  async deliver(pick: number, autoOutcome?: Outcome): Promise<void> {
    const available = this.queue.available();
    const message = available[pick % Math.max(1, available.length)];
    if (!message) return;
    const record = this.queue.receive(message);
    if (!record) return;
    let release!: (outcome: Outcome) => void;
    const gate = new Promise<Outcome>((resolve) => (release = resolve));
    let entered!: () => void;
    const reached = new Promise<void>((resolve) => (entered = resolve));
    let die!: () => void;
    const died = new Promise<void>((resolve) => (die = resolve));
    const run = { crashed: false, died, die } as Run & { die: () => void };
    const worker = new JobWorker(this.definition, async (payload, ctx) => {
      const current = this.store.jobs.get(ctx.jobId);
      if (current && isTerminal(current.status)) this.violations.push(`handler started on a ${current.status} job`);
      this.runs.push(ctx.attempt);
      if (ctx.attempt > ctx.maxAttempts) this.violations.push(`handler started as attempt ${ctx.attempt} of ${ctx.maxAttempts}`);
      entered();
      const outcome = await gate;
      if (outcome === 'retryable') throw new RetryableJobError('injected');
      if (outcome === 'permanent') throw new PermanentJobError('injected');
      if (outcome === 'progress') await ctx.progress(50);
      return { ok: true, description: (payload as { description: string }).description };
    }, {
      ...this.consumerPorts(this.storeFor(run)),
      queue: this.queue,
      logger: silentLogger,
      timeoutMarginMs: 0,
      random: () => 0.5,
      runningWriteDelayMs: 1e9,
      progressIntervalMs: 0,
      storeRetryDelaysMs: [0, 0],
      now: () => this.now(),
    });
    Object.assign(run, {
      record,
      release,
      done: worker.processRecord(record, Date.now() + 3_600_000).then((outcome) => {
        if (!run.crashed && outcome.ack) this.queue.ack(record);
        return outcome;
      }),
    });
    this.pending.push(run);
    if (autoOutcome) release(autoOutcome);
    await Promise.race([reached, run.done, run.died]);
    if (autoOutcome) await this.settleRun(run);
  }

  async settle(pick: number, outcome: Outcome): Promise<void> {
    const run = this.pending[pick % Math.max(1, this.pending.length)];
    if (!run) return;
    run.release(outcome);
    await this.settleRun(run);
  }

  async settleRun(run: Run): Promise<void> {
    if (this.pending.includes(run)) this.pending.splice(this.pending.indexOf(run), 1);
    await Promise.race([run.done, run.died]);
  }

  crash(pick: number): void {
    const run = this.pending[pick % Math.max(1, this.pending.length)];
    if (!run) return;
    run.crashed = true;
    run.release('success');
    this.pending.splice(this.pending.indexOf(run), 1);
  }

  throttle(pick: number): void {
    const available = this.queue.available();
    const message = available[pick % Math.max(1, available.length)];
    if (message) this.queue.throttle(message);
  }

  expire(pick: number): void {
    // Only a message no live consumer holds may time out here; a live one would time out too on AWS,
    // and `leave`/reclaim cover that, but keeping it apart keeps the model's runs finite.
    const inflight = this.queue.inflight();
    const message = inflight[pick % Math.max(1, inflight.length)];
    if (message) this.queue.expire(message);
  }

  duplicate(pick: number): void {
    const message = this.queue.messages[pick % this.queue.messages.length];
    if (message) this.queue.put(message.body, message.sentAt);
  }

  /**
   * `PATCH` of the job's payload through the real edit path, which sends the next generation's message
   * and then writes the record: the write waits for an `editWrite` command, so deliveries can come
   * between the two; `lands: false` loses it (the API died after its send).
   */
  edit(): void {
    if (this.pendingEdit) return;
    this.edits++;
    const store = this.storeFor({ crashed: false });
    let decide!: (lands: boolean) => void;
    const decided = new Promise<boolean>((resolve) => (decide = resolve));
    const gated: JobStore = {
      ...store,
      transition: async (t) => ((await decided) ? store.transition(t) : Promise.reject(new DependencyUnavailableError('dynamodb', 'injected: the API died before its write'))),
    };
    const queue = { send: async (message: JobMessage) => void this.queue.put(JSON.stringify(message), this.now()), changeVisibility: async () => undefined };
    const done = editJob({ store: gated, queue, now: () => new Date(this.now()) }, this.job.tenant, this.job.jobId, { payload: { ...(this.job.payload as object), description: `edited ${this.edits}` } }).then(() => undefined, () => undefined);
    this.pendingEdit = { decide, done };
  }

  async editWrite(lands: boolean): Promise<void> {
    const edit = this.pendingEdit;
    if (!edit) return;
    this.pendingEdit = undefined;
    edit.decide(lands);
    await edit.done;
  }

  async cancel(): Promise<void> {
    await cancelJob(this.store, this.job.tenant, this.job.jobId, { now: () => new Date(), retentionDaysOf: () => undefined, followUps: this.consumerPorts(this.store).followUps }).catch(() => undefined);
  }

  /** The sweep and healthy consumers finish what is left, as time passes (an edit's message that never got its write is acknowledged then). */
  async drain(): Promise<void> {
    await this.editWrite(true);
    this.skewMs = Math.max(this.skewMs, 3_600_000);
    for (const run of [...this.pending]) {
      run.release('success');
      await this.settleRun(run);
    }
    for (let round = 0; round < 50; round++) {
      for (const message of this.queue.inflight()) this.queue.expire(message);
      const available = this.queue.available();
      const record = this.store.jobs.get(this.job.jobId)!;
      if (available.length === 0 && record.sendPending === undefined && record.webhookPending === undefined) return;
      await this.sweep();
      for (let i = 0; i < this.queue.available().length; i++) await this.deliver(0, 'success');
    }
    this.violations.push('did not settle in 50 rounds');
  }
}

/** `belowLimit`: null for a fresh message, else how many receives it has left before the queue's limit. */
async function play(claim: 'lazy' | 'eager', sentAtEnqueue: boolean, commands: Command[], belowLimit: number | null, withTtl = false): Promise<World> {
  const world = new World(claim, sentAtEnqueue, withTtl);
  await world.setup(belowLimit === null ? 0 : world.queue.maxReceiveCount - belowLimit);
  for (const command of commands) {
    switch (command.kind) {
      case 'deliver': await world.deliver(command.pick); break;
      case 'throttle': world.throttle(command.pick); break;
      case 'settle': await world.settle(command.pick, command.outcome); break;
      case 'crash': world.crash(command.pick); break;
      case 'expire': world.expire(command.pick); break;
      case 'duplicate': world.duplicate(command.pick); break;
      case 'cancel': await world.cancel(); break;
      // The workers' clock passes the job's start-by time (two minutes on, the time budget unaffected).
      // An edit under way cannot outlive its API function (10 s): a clock two minutes on means its write was lost.
      case 'late': await world.editWrite(false); world.skewMs = 120_000; break;
      case 'edit': world.edit(); await Promise.resolve(); break;
      case 'editWrite': await world.editWrite(command.lands); break;
      case 'storeFault': world.pendingFault = command.when; break;
      case 'crashAfterTerminalWrite': world.crashAfterTerminalWrite = true; break;
      case 'webhookOutage': world.outboxDown = !world.outboxDown; break;
      case 'sweep': await world.sweep(); break;
    }
  }
  world.pendingFault = undefined;
  world.crashAfterTerminalWrite = false;
  world.outboxDown = false;
  await world.drain();
  return world;
}

describe('Property: the worker against a model of SQS and a hostile world', () => {
  it.each(['lazy', 'eager'] as const)('keeps every invariant under random interleavings (%s claim)', async (claim) => {
    await fc.assert(
      // Mostly a fresh message; sometimes one that throttling already brought near the receive limit.
      // One run in four starts from an enqueue whose API died between the record write and the send.
      // A third of the jobs have a ttlSeconds (a start-by time a minute ahead of the workers' clock).
      fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(5) }), fc.nat(3).map((n) => n !== 0), fc.boolean(), fc.boolean(), async (commands, belowLimit, sentAtEnqueue, ttl, often) => {
        const world = await play(claim, sentAtEnqueue, commands, belowLimit, ttl && often);
        const final = world.store.jobs.get(world.job.jobId)!;
        const dlq = world.queue.dlq();
        const left = world.queue.available().length + world.queue.inflight().length;
        expect(world.violations).toEqual([]);
        expect(left).toBe(0);
        // The worker hands a DEAD job's message to the DLQ exactly once, and no other job's — unless
        // the consumer that wrote DEAD died right after its write with the message's receives spent:
        // then the redrive policy moves it on its next receive instead.
        const byWorker = dlq.filter((m) => m.deadLettered === 'by-worker').length;
        const byPolicy = dlq.filter((m) => m.deadLettered === 'by-redrive-policy').length;
        if (final.status === 'DEAD' && byWorker === 0) {
          expect(world.diedAfterDeadWrite).toBe(true);
          expect(byPolicy).toBeGreaterThan(0);
        } else expect(byWorker).toBe(final.status === 'DEAD' ? 1 : 0);
        // Terminal — unless the redrive policy itself moved the message (the safety net fired on a
        // receive the worker never saw, a throttled one): then the record waits for a redrive.
        if (!dlq.some((m) => m.deadLettered === 'by-redrive-policy')) expect(isTerminal(final.status as JobStatus)).toBe(true);
        // ttlSeconds: EXPIRED only for a job that never ran, and only once past its start-by time.
        if (final.status === 'EXPIRED') {
          expect(world.runs).toEqual([]);
          expect(world.expiredAfterStartBy).toBe(true);
          expect(final.startBy).toBeDefined();
        }
        if (world.runs.length > 0) expect(final.status).not.toBe('EXPIRED');
        // Edits: the recorded result is from a run of the job's final payload.
        if (final.status === 'SUCCEEDED') expect(final.result).toEqual({ ok: true, description: (final.payload as { description: string }).description });
        if (final.status === 'DEAD' && final.error?.code !== 'RECEIVE_LIMIT') {
          expect(final.attempt).toBe(world.definition.settings.maxAttempts);
          expect(world.runs.length).toBeGreaterThanOrEqual(world.definition.settings.maxAttempts);
        }
        if (['SUCCEEDED', 'FAILED', 'DEAD', 'EXPIRED'].includes(final.status)) expect(world.webhooks).toContain(world.job.jobId);
        expect(world.deadLetterListing()).toEqual(final.status === 'DEAD' ? [world.job.jobId] : []);
        expect(final.sendPending).toBeUndefined();
        expect(final.webhookPending).toBeUndefined();
      }),
      { numRuns: Number(process.env.CONVEYOR_PROPERTY_RUNS ?? 1_000) },
    );
  });
});
