import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cancelJob } from '../../../functions/api/job-cancellation.js';
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
import { SimQueue } from '../../helpers/sim-queue.js';

/**
 * The worker against a model: one job, its message (and duplicate copies) in a modelled SQS queue, and
 * an adversary that interleaves deliveries, throttled receives (returned without a run), duplicate
 * copies, visibility timeouts running out, crashes of a consumer between any two of its store calls,
 * store failures before or after a write lands, and cancellations. After the adversary, the queue
 * drains with healthy consumers. Invariants:
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
 *   message if the job is DEAD and none otherwise.
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
  | { kind: 'storeFault'; when: 'before' | 'after' };

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
);

interface Run {
  readonly record: SqsRecordLike;
  readonly done: Promise<RecordOutcome>;
  release(outcome: Outcome): void;
  crashed: boolean;
}

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
  readonly job: JobRecord;
  readonly definition;
  /** How far the workers' clock runs ahead of the real one: `late` moves it past the start-by time. */
  skewMs = 0;
  /** Whether any worker expired the job while its clock was past the start-by time. */
  expiredAfterStartBy = false;
  edits = 0;
  pendingEdit: { decide(lands: boolean): void; done: Promise<void> } | undefined;

  constructor(claim: 'lazy' | 'eager', withTtl: boolean) {
    // With ttlSeconds: due now, to be started within a minute (of the workers' clock).
    this.job = queuedJob(withTtl ? { startBy: new Date(Date.now() + 60_000).toISOString() } : {});
    // Lazy: RUNNING is never written within the test (runningWriteDelayMs below) — the fast path.
    // Eager: RUNNING is written before the handler starts.
    // Two attempts, so that a few failing settles reach DEAD and its hand-off to the DLQ.
    this.definition = defineJob({ type: 'analysis', description: 'model', payload: analysisJob.payload, settings: { maxAttempts: 2, claim } });
    this.queue = new SimQueue(queueSettingsOf(this.definition).maxReceiveCount);
  }

  /** `receivedBefore`: receives the message spent before the run (throttled ones), up to the queue's limit. */
  async setup(receivedBefore: number): Promise<void> {
    await this.store.create(this.job);
    this.queue.put(JSON.stringify(messageFor(this.job)), Date.now() - 60_000, receivedBefore);
  }

  /** A store as one consumer sees it: after its crash, its calls never return. */
  storeFor(run: { crashed: boolean }): JobStore {
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
    return {
      create: (job) => guard(() => base.create(job), true),
      get: (jobId, options) => guard(() => base.get(jobId, options), false),
      getMany: (jobIds, options) => guard(() => base.getMany(jobIds, options), false),
      transition: (t) => guard(() => this.#checkedTransition(t), true),
      recordProgress: (jobId, attempt, progress, message) => guard(() => base.recordProgress(jobId, attempt, progress, message), true),
      discard: (jobId) => guard(() => base.discard(jobId), true),
      requestCancel: (jobId) => guard(() => base.requestCancel(jobId), true),
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
    const run = { crashed: false } as Run;
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
      store: this.storeFor(run),
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
    await Promise.race([reached, run.done]);
    if (autoOutcome) await this.settleRun(run);
  }

  async settle(pick: number, outcome: Outcome): Promise<void> {
    const run = this.pending[pick % Math.max(1, this.pending.length)];
    if (!run) return;
    run.release(outcome);
    await this.settleRun(run);
  }

  async settleRun(run: Run): Promise<void> {
    this.pending.splice(this.pending.indexOf(run), 1);
    await run.done;
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
    await cancelJob(this.store, this.job.tenant, this.job.jobId, { now: () => new Date(), retentionDaysOf: () => undefined }).catch(() => undefined);
  }

  /** Healthy consumers finish what is left, as time passes (an edit's message that never got its write is acknowledged then). */
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
      if (available.length === 0) return;
      for (let i = 0; i < available.length; i++) await this.deliver(0, 'success');
    }
    this.violations.push('queue did not drain in 50 rounds');
  }
}

/** `belowLimit`: null for a fresh message, else how many receives it has left before the queue's limit. */
async function play(claim: 'lazy' | 'eager', commands: Command[], belowLimit: number | null, withTtl = false): Promise<World> {
  const world = new World(claim, withTtl);
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
    }
  }
  world.pendingFault = undefined;
  await world.drain();
  return world;
}

describe('Property: the worker against a model of SQS and a hostile world', () => {
  it.each(['lazy', 'eager'] as const)('keeps every invariant under random interleavings (%s claim)', async (claim) => {
    await fc.assert(
      // Mostly a fresh message; sometimes one that throttling already brought near the receive limit.
      // A third of the jobs have a ttlSeconds (a start-by time a minute ahead of the workers' clock).
      fc.asyncProperty(fc.array(commandArb, { maxLength: 40 }), fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.nat(5) }), fc.boolean(), fc.boolean(), async (commands, belowLimit, ttl, often) => {
        const world = await play(claim, commands, belowLimit, ttl && often);
        const final = world.store.jobs.get(world.job.jobId)!;
        const dlq = world.queue.dlq();
        const left = world.queue.available().length + world.queue.inflight().length;
        expect(world.violations).toEqual([]);
        expect(left).toBe(0);
        // The worker hands a DEAD job's message to the DLQ exactly once, and no other job's.
        expect(dlq.filter((m) => m.deadLettered === 'by-worker')).toHaveLength(final.status === 'DEAD' ? 1 : 0);
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
      }),
      { numRuns: Number(process.env.CONVEYOR_PROPERTY_RUNS ?? 1_000) },
    );
  });
});
