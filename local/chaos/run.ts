import { createHash } from 'node:crypto';
import { DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { messageBody } from '../../functions/adapters/aws/sqs-job-queue.js';
import { messageOf } from '../../functions/api/job-message.js';
import type { SweepReport } from '../../functions/recovery/sweep.js';
import type { JobHandler } from '../../functions/worker/context.js';
import { DependencyUnavailableError, PermanentJobError, RetryableJobError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { EnqueuedFlow } from '../../functions/flows/enqueue-flow.js';
import type { FlowRequest } from '../../shared/jobs/flow.js';
import { isTerminal } from '../../shared/domain/status.js';
import type { JobSettings } from '../../shared/jobs/define.js';
import { isFifoQueue } from '../../shared/jobs/derived.js';
import type { EnqueueRequest, PayloadOf } from '../../shared/jobs/registry.js';
import type { ConsumerQueue, JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { startLab, type Lab } from './lab.js';

/** Probabilities of each injected fault (per attempt unless said otherwise). */
export interface FaultRates {
  /** The handler throws a retryable error. */
  readonly retryable: number;
  /** The handler throws PermanentJobError (per job). */
  readonly permanent: number;
  /** The handler overruns its time budget (it ignores its signal). */
  readonly timeout: number;
  /** A duplicate copy of the job's message is sent at enqueue (per job). */
  readonly duplicate: number;
  /** The consumer is killed at a random moment of an invocation (per invocation). */
  readonly kill: number;
  /** After the handler's side effect, every SUCCEEDED write of that attempt fails: the outcome is lost. */
  readonly storeErrorAfterEffect: number;
  /** A SUCCEEDED write lands but its answer is lost (the worker sees an error). */
  readonly lostAnswer: number;
  /**
   * An invocation is throttled (per invocation): its batch goes back to the queue without a run, as when
   * the account's Lambda concurrency is used up. It spends receives, never attempts.
   */
  readonly throttle: number;
  /** The consumer dies right after a terminal write landed, before it flushed or acknowledged anything (per terminal write). */
  readonly killAfterTerminalWrite: number;
  /** The API dies between the record write and the send: a record, no message, no answer (per job). */
  readonly crashBeforeSend: number;
}

export interface ChaosOptions {
  readonly jobs: number;
  readonly seed: number;
  readonly rates: FaultRates;
  /** Give up (and report stuck jobs) after this long. */
  readonly maxSeconds: number;
  readonly enqueueConcurrency: number;
  /** The lab's job settings: short timeouts make recoveries take seconds. */
  readonly settings: Partial<JobSettings>;
  readonly timeoutMarginMs: number;
  /** Share of jobs enqueued with a callbackUrl (their completion webhooks are counted). */
  readonly callbackShare: number;
  /** The recovery sweep's grace (ms) and how often it runs: short in the lab. */
  readonly sweep: { readonly graceMs: number; readonly everyMs: number };
  /**
   * FIFO groups: > 0 makes the lab's queue a FIFO queue and spreads the jobs over this many groupKeys, each
   * group enqueued in order by its own producer; the run then also checks that a group's jobs ran one at a
   * time and never out of enqueue order. 0: a standard queue.
   */
  readonly fifoGroups?: number;
  /**
   * Flows enqueued besides the jobs, through the API's flow path (POST /v1/flows), under the same faults:
   * a parent of 2–6 children, some a level deeper, some with a child that fails permanently, some with
   * `onChildFailure: continue`. A standard queue only: a FIFO type cannot have children. 0: none.
   */
  readonly flows?: number;
  readonly log?: (line: string) => void;
}

export const DEFAULT_RATES: FaultRates = {
  retryable: 0.15,
  permanent: 0.03,
  timeout: 0.01,
  duplicate: 0.05,
  kill: 0.01,
  storeErrorAfterEffect: 0.01,
  lostAnswer: 0.02,
  throttle: 0.1,
  killAfterTerminalWrite: 0.02,
  crashBeforeSend: 0.01,
};

export const DEFAULT_CHAOS: ChaosOptions = {
  jobs: 10_000,
  seed: 1,
  rates: DEFAULT_RATES,
  maxSeconds: 900,
  enqueueConcurrency: 16,
  // Short enough that recoveries take seconds (visibility = 6 × 6 s = 36 s after a kill), long enough
  // that a slow, shared machine does not turn every batch into a timeout.
  settings: { timeoutSeconds: 6, batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 8, maxAttempts: 3, backoff: { baseSeconds: 1, maxSeconds: 2 } },
  timeoutMarginMs: 2_500,
  callbackShare: 0.5,
  // Long enough that a job merely waiting in the queue is rarely taken for a lost send (it would get a
  // duplicate message, which the consumer absorbs), short enough that recoveries take seconds.
  sweep: { graceMs: 20_000, everyMs: 2_000 },
};

export interface ChaosReport {
  readonly ok: boolean;
  /** One line on the flows and what was checked of them (absent without flows). */
  readonly flowsLine?: string;
  readonly violations: readonly string[];
  readonly figures: Record<string, number | string>;
}

/** Deterministic per (seed, kind, key, attempt): the same plan every run with the same seed. */
function chance(seed: number, kind: string, key: string, attempt = 0): number {
  const digest = createHash('sha256').update(`${seed}:${kind}:${key}:${attempt}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32;
}

const never = new Promise<never>(() => undefined);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The chaos run: enqueues `jobs` jobs through the real enqueue path into the fault lab, injects every
 * fault of `rates`, waits until the queue is empty, then checks the invariants and returns the figures.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  const { seed, rates } = options;
  const log = options.log ?? (() => undefined);
  const counts = { handlerRuns: 0, retryableThrown: 0, permanentThrown: 0, timeouts: 0, duplicatesSent: 0, kills: 0, storeErrorsAfterEffect: 0, lostAnswers: 0, effectCalls: 0, enqueueFailures: 0, throttled: 0, killsAfterTerminalWrite: 0, crashesBeforeSend: 0, timedOutInvocations: 0 };
  const sweeps: SweepReport = { flushed: 0, sent: 0, scheduled: 0, discarded: 0, cleared: 0, deferred: 0 };
  const effects = new Map<string, number>(); // the provider: one effect per idempotency key (the jobId)
  const runsPerJob = new Map<string, number>();
  const highestAttempt = new Map<string, number>();
  /**
   * Runs a job may make beyond maxAttempts, one per injected fault that can make a run go unrecorded: a
   * duplicate copy (it may run beside the original before either records anything) — the sweep's own
   * (a job that waited past its grace gets one) included —, a kill of an invocation the job ran in
   * (after a terminal write too), a store failure that loses a run's outcome. Throttling adds none.
   */
  const rerunAllowance = new Map<string, number>();
  const allow = (jobId: string) => rerunAllowance.set(jobId, (rerunAllowance.get(jobId) ?? 0) + 1);
  const outcomeLost = new Set<string>();
  /**
   * Each invocation's hand-offs to the DLQ. A consumer that dies or overruns its timeout after handing a
   * DEAD job over leaves its message unacknowledged: it comes back, finds the job DEAD and is handed on
   * again (at least once; a redrive runs the job once, the copy being acknowledged as a duplicate).
   */
  const handOffs: { readonly state: { killed: boolean }; readonly jobIds: string[] }[] = [];
  const fifoGroups = options.fifoGroups ?? 0;
  /**
   * FIFO groups: each group's live runs and the highest enqueue index that has started. A run ends when
   * its handler returns or throws, when its signal fires (Lambda stops the function at its deadline), or
   * when its invocation is killed.
   */
  const groups = new Map<string, { live: Map<symbol, string>; highest: number; highestJob: string }>();
  const violations: string[] = [];
  /**
   * Flows: the order of events, from one counter — each job's first handler start and the moment its first
   * terminal write was made (taken when the write is issued, kept once it landed: a parent's message can
   * only follow it). A parent must start (or end CHILD_FAILED) after every child's end.
   */
  let clock = 0;
  const firstStart = new Map<string, number>();
  const terminalAt = new Map<string, number>();
  /**
   * Runs of a job that reached their side effect within their time budget. One that got there after its
   * signal fired (an injected overrun, or a slow machine) is a timed-out attempt, retried by design.
   */
  const completedRuns = new Map<string, number>();
  const overranRuns = new Map<string, number>();
  /** Every flow parent, known once its flow is enqueued (before any of its children can end). */
  const parents = new Set<string>();
  /** Each message of a flow parent: by a consumer's flush (with its invocation's state) or by the sweep. */
  const parentSends: { readonly jobId: string; readonly state?: { killed: boolean } }[] = [];
  /**
   * Jobs whose API died before their send (their client got no 202): the recovery sweep sends them
   * late, and they join the end of their group (docs/features.md, FIFO job types) — held to one run at
   * a time in their group like any job, but not to their place in it.
   */
  const unanswered = new Set<string>();
  const startInGroup = (group: string, index: number, jobId: string): (() => void) => {
    const state = groups.get(group) ?? { live: new Map<symbol, string>(), highest: -1, highestJob: '' };
    groups.set(group, state);
    for (const running of state.live.values()) violations.push(`group ${group}: job ${jobId} started while job ${running} of its group was running`);
    const ordered = !unanswered.has(jobId);
    if (ordered && index < state.highest) violations.push(`group ${group}: job ${jobId} (enqueued #${index}) started after job ${state.highestJob} (enqueued #${state.highest})`);
    if (ordered && index > state.highest) Object.assign(state, { highest: index, highestJob: jobId });
    const run = Symbol(jobId);
    state.live.set(run, jobId);
    return () => state.live.delete(run);
  };

  const invocation = (base: JobStore, baseQueue: ConsumerQueue) => {
    const state = { killed: false, ended: false };
    const ranHere: string[] = [];
    // Noted before the send: one in flight when the consumer is killed may still land.
    const handedHere: string[] = [];
    handOffs.push({ state, jobIds: handedHere });
    const endsHere = new Set<() => void>();
    const onKill = () => {
      for (const jobId of ranHere) allow(jobId);
      for (const end of endsHere) end();
    };
    const store = faultyStore(base, state, onKill);
    // A killed consumer sends nothing more: its queue calls never return either.
    const queue: ConsumerQueue = {
      // A consumer sends only a flow's parent (the flush of its last child); one killed after the send
      // leaves its claim unrecorded, and the sweep sends the parent again after the claim's lease.
      send: async (message, sendOptions) => {
        if (state.killed) return never;
        await baseQueue.send(message, sendOptions);
        parentSends.push({ jobId: message.jobId, state });
      },
      changeVisibility: (type, receipt, seconds, sourceArn) => (state.killed ? never : baseQueue.changeVisibility(type, receipt, seconds, sourceArn)),
      deadLetter: async (type, body, handOff) => {
        if (state.killed) return never;
        handedHere.push((JSON.parse(body) as { jobId: string }).jobId);
        await baseQueue.deadLetter(type, body, handOff);
      },
    };
    const handler: JobHandler<PayloadOf<'analysis'>> = async (payload, ctx) => {
      if (state.killed) return never;
      if (!firstStart.has(ctx.jobId)) firstStart.set(ctx.jobId, ++clock);
      if (fifoGroups > 0) {
        const end = startInGroup(ctx.groupKey ?? '(none)', Number(payload.toolId.replace('chaos-', '')), ctx.jobId);
        endsHere.add(end);
        ctx.signal.addEventListener('abort', end, { once: true });
        try {
          return await run(payload, ctx);
        } finally {
          end();
          endsHere.delete(end);
        }
      }
      return run(payload, ctx);
    };
    const run = async (payload: PayloadOf<'analysis'>, ctx: Parameters<typeof handler>[1]) => {
      counts.handlerRuns++;
      ranHere.push(ctx.jobId);
      runsPerJob.set(ctx.jobId, (runsPerJob.get(ctx.jobId) ?? 0) + 1);
      highestAttempt.set(ctx.jobId, Math.max(highestAttempt.get(ctx.jobId) ?? 0, ctx.attempt));
      if (payload.toolId.endsWith('-fails')) {
        // A flow's child meant to fail: its parent must end CHILD_FAILED (or run anyway, with `continue`).
        counts.permanentThrown++;
        throw new PermanentJobError('a flow child that always fails', 'INJECTED_PERMANENT');
      }
      if (chance(seed, 'permanent', ctx.jobId) < rates.permanent) {
        counts.permanentThrown++;
        throw new PermanentJobError('injected permanent failure', 'INJECTED_PERMANENT');
      }
      if (chance(seed, 'retryable', ctx.jobId, ctx.attempt) < rates.retryable) {
        counts.retryableThrown++;
        throw new RetryableJobError('injected retryable failure', 'INJECTED_RETRYABLE');
      }
      if (chance(seed, 'timeout', ctx.jobId, ctx.attempt) < rates.timeout) {
        counts.timeouts++;
        // Overrun: work on past the signal, as a handler that ignores it would.
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        await sleep(200);
      }
      await sleep(Math.floor(chance(seed, 'work', ctx.jobId, ctx.attempt) * 20));
      if (state.killed) return never;
      // The side effect, keyed by jobId as a provider's idempotency key (or the email handler's
      // checkpoint) would be: a redelivery after a lost outcome must not repeat it.
      counts.effectCalls++;
      effects.set(ctx.jobId, 1);
      const finished = ctx.signal.aborted ? overranRuns : completedRuns;
      finished.set(ctx.jobId, (finished.get(ctx.jobId) ?? 0) + 1);
      return { ok: true };
    };
    let timeout: NodeJS.Timeout | undefined;
    const onStart = (timeoutMs: number) => {
      if (Math.random() < rates.kill) {
        counts.kills++;
        setTimeout(() => {
          if (state.ended) return;
          state.killed = true;
          onKill();
        }, Math.random() * 300).unref();
      }
      // Lambda ends an invocation at its timeout, whatever it was doing: on a loaded machine one can
      // overrun it here, and must then do nothing more (its messages come back to another consumer).
      timeout = setTimeout(() => {
        if (state.ended || state.killed) return;
        counts.timedOutInvocations++;
        state.killed = true;
        onKill();
      }, timeoutMs);
      timeout.unref();
    };
    const onEnd = () => {
      state.ended = true;
      clearTimeout(timeout);
    };
    return { handler, store, queue, onStart, onEnd };
  };

  function faultyStore(base: JobStore, state: { killed: boolean }, onKill: () => void): JobStore {
    const guard = <T>(call: () => Promise<T>): Promise<T> => (state.killed ? never : call());
    return {
      create: (job) => guard(() => base.create(job)),
      get: (jobId, o) => guard(() => base.get(jobId, o)),
      getMany: (jobIds, o) => guard(() => base.getMany(jobIds, o)),
      discard: (jobId, o) => guard(() => base.discard(jobId, o)),
      requestCancel: (jobId) => guard(() => base.requestCancel(jobId)),
      recordProgress: (jobId, a, p, m) => guard(() => base.recordProgress(jobId, a, p, m)),
      clearWebhookPending: (jobId, finishedAt) => guard(() => base.clearWebhookPending(jobId, finishedAt)),
      updateSendPending: (jobId, seen, next, generation) => guard(() => base.updateSendPending(jobId, seen, next, generation)),
      clearSweep: (jobId, sweepAt) => guard(() => base.clearSweep(jobId, sweepAt)),
      countChild: (parentId, childId, status) => guard(() => base.countChild(parentId, childId, status)),
      clearFlowPending: (jobId, finishedAt) => guard(() => base.clearFlowPending(jobId, finishedAt)),
      transition: (t) =>
        guard(async () => {
          const attempt = t.set?.attempt ?? 0;
          // Keyed by the job's run count, not its attempt: a run whose outcome was lost is not recorded,
          // so its rerun has the same attempt number and must draw its own fate.
          const run = runsPerJob.get(t.jobId) ?? 0;
          if (t.to === 'SUCCEEDED' && chance(seed, 'store-after-effect', t.jobId, run) < rates.storeErrorAfterEffect) {
            counts.storeErrorsAfterEffect++;
            if (!outcomeLost.has(`${t.jobId}:${run}`)) {
              outcomeLost.add(`${t.jobId}:${run}`);
              allow(t.jobId);
            }
            throw new DependencyUnavailableError('dynamodb', 'injected: store down after the side effect');
          }
          const issuedAt = ++clock;
          const record = await base.transition(t);
          if (isTerminal(record.status) && !terminalAt.has(t.jobId)) terminalAt.set(t.jobId, issuedAt);
          if (isTerminal(record.status) && chance(seed, 'kill-after-terminal-write', t.jobId, run) < rates.killAfterTerminalWrite) {
            // The write landed; the consumer dies before it can flush what the write owes or acknowledge.
            counts.killsAfterTerminalWrite++;
            state.killed = true;
            onKill();
            return never;
          }
          if (t.to === 'SUCCEEDED' && chance(seed, 'lost-answer', t.jobId, attempt) < rates.lostAnswer && !lostOnce.has(t.jobId)) {
            lostOnce.add(t.jobId);
            counts.lostAnswers++;
            throw new DependencyUnavailableError('dynamodb', 'injected: write applied, answer lost');
          }
          return record;
        }),
    };
  }
  const lostOnce = new Set<string>();

  /** The flow invariants over the final records; its figures. */
  function checkFlows(jobIds: readonly string[], records: readonly (JobRecord | undefined)[]) {
    const byId = new Map<string, JobRecord>();
    for (const [i, record] of records.entries()) if (record) byId.set(jobIds[i]!, record);
    const figures = { flowParents: 0, flowMiddleParents: 0, flowChildren: 0, flowParentsSucceeded: 0, flowParentsChildFailed: 0, flowParentsContinued: 0, flowParentsOther: 0, flowParentMessages: 0 };
    const sends = new Map<string, { all: number; killed: number }>();
    for (const { jobId, state } of parentSends) {
      const entry = sends.get(jobId) ?? { all: 0, killed: 0 };
      entry.all++;
      if (state?.killed) entry.killed++;
      sends.set(jobId, entry);
      figures.flowParentMessages++;
    }
    for (const [jobId, parent] of byId) {
      if (parent.childIds === undefined) continue;
      figures.flowParents++;
      if (parent.parentId !== undefined) figures.flowMiddleParents++;
      figures.flowChildren += parent.childIds.length;
      const name = `flow parent ${jobId}`;
      if (parent.status === 'QUEUED') violations.push(`${name} is stuck QUEUED (childrenPending ${parent.childrenPending}, ${parent.sendPending ? `send ${parent.sendPending}` : 'sent'})`);
      // Counted once each: the counter reached exactly 0 and holds each child's end, as it ended.
      if (parent.childrenPending !== 0) violations.push(`${name} ended with childrenPending ${parent.childrenPending} (a child counted ${Number(parent.childrenPending) < 0 ? 'twice' : 'never'})`);
      const outcomes = parent.childOutcomes ?? {};
      for (const childId of Object.keys(outcomes)) if (!parent.childIds.includes(childId)) violations.push(`${name} counted ${childId}, which is not its child`);
      const children = parent.childIds.map((childId) => ({ childId, child: byId.get(childId) }));
      for (const { childId, child } of children) {
        if (!child) violations.push(`${name}: its child ${childId} has no record`);
        else if (outcomes[childId] !== child.status) violations.push(`${name} counted its child ${childId} as ${outcomes[childId] ?? '(not counted)'}, which ended ${child.status}`);
      }
      // Sent exactly once (the conditional claim), save a resend after a consumer died holding its claim.
      const sent = sends.get(jobId) ?? { all: 0, killed: 0 };
      if (sent.all === 0 && parent.status !== 'QUEUED') violations.push(`${name} ended ${parent.status} without a message sent for it`);
      if (sent.all > 1 + sent.killed) violations.push(`${name} was sent ${sent.all} times (${sent.killed} by a consumer killed after the send)`);
      // Only after every child ended.
      const first = Math.min(firstStart.get(jobId) ?? Infinity, terminalAt.get(jobId) ?? Infinity);
      for (const { childId } of children) {
        const ended = terminalAt.get(childId);
        if (ended === undefined) violations.push(`${name}: no terminal write of its child ${childId} was seen`);
        else if (first !== Infinity && first < ended) violations.push(`${name} ${firstStart.has(jobId) ? 'started' : 'ended'} (event #${first}) before its child ${childId} ended (event #${ended})`);
      }
      // A failed child fails the parent (CHILD_FAILED, no run), unless `continue`.
      const failedChild = children.find(({ child }) => child && child.status !== 'SUCCEEDED');
      const runs = runsPerJob.get(jobId) ?? 0;
      if (failedChild && parent.onChildFailure !== 'continue') {
        if (parent.status !== 'FAILED' || parent.error?.code !== 'CHILD_FAILED') violations.push(`${name}: its child ${failedChild.childId} ended ${failedChild.child?.status}, but it ended ${parent.status}${parent.error ? ` (${parent.error.code})` : ''}, not FAILED CHILD_FAILED`);
        if (runs > 0) violations.push(`${name} ran ${runs} time(s) though its child ${failedChild.childId} ended ${failedChild.child?.status}`);
      } else if (parent.error?.code === 'CHILD_FAILED') {
        violations.push(`${name} ended CHILD_FAILED though ${failedChild ? 'it continues past a failed child' : 'every child SUCCEEDED'}`);
      }
      // A parent that SUCCEEDED ran to its end once, save the reruns its faults explain (a kill, a lost outcome, a resend).
      const completed = completedRuns.get(jobId) ?? 0;
      if (parent.status === 'SUCCEEDED' && (completed === 0 || completed > 1 + (rerunAllowance.get(jobId) ?? 0) + sent.killed)) {
        violations.push(`${name} SUCCEEDED after ${completed} run(s) completed in time (${runs} in all, ${overranRuns.get(jobId) ?? 0} past their time, ${rerunAllowance.get(jobId) ?? 0} rerun(s) explained by faults)`);
      }
      if (parent.status === 'SUCCEEDED') figures.flowParentsSucceeded++;
      else if (parent.error?.code === 'CHILD_FAILED') figures.flowParentsChildFailed++;
      else figures.flowParentsOther++;
      if (failedChild && parent.onChildFailure === 'continue' && runs > 0) figures.flowParentsContinued++;
    }
    return figures;
  }

  const started = Date.now();
  const throttle = () => {
    if (Math.random() >= rates.throttle) return false;
    counts.throttled++;
    return true;
  };
  const settings: Partial<JobSettings> = fifoGroups > 0 ? { ...options.settings, ordering: 'fifo' } : options.settings;
  const lab: Lab = await startLab({
    settings,
    timeoutMarginMs: options.timeoutMarginMs,
    invocation,
    throttle,
    recovery: { sendGraceMs: options.sweep.graceMs },
    // A message the sweep sends for a job that only waited past the grace is a duplicate copy; a flow
    // parent's is its message (counted apart: a parent must get exactly one).
    onSweepSend: (jobId) => (parents.has(jobId) ? parentSends.push({ jobId }) : allow(jobId)),
  });
  const { maxAttempts } = lab.definition.settings;
  const accepted: string[] = [];
  /** Jobs whose API died after writing the record: the client got no answer, the record must still end. */
  const crashed: string[] = [];
  // The recovery sweep runs all along, as its schedule rule does on AWS.
  let sweeping: Promise<void> = Promise.resolve();
  const sweepOnce = (): Promise<void> =>
    (sweeping = sweeping.then(async () => {
      const report = await lab.sweep.run().catch(() => undefined);
      for (const [key, n] of Object.entries(report ?? {})) sweeps[key as keyof SweepReport] += n;
    }));
  const sweepTimer = setInterval(() => void sweepOnce(), options.sweep.everyMs);
  try {
    // Enqueue through the real path (record, then message), with duplicate copies on the side and,
    // for some jobs, an API that dies between the two.
    let next = 0;
    const enqueueOne = async (i: number): Promise<void> => {
      const request = {
        type: 'analysis',
        payload: { toolId: `chaos-${i}`, url: 'https://example.com/chaos', description: 'Chaos run job.' },
        ...(fifoGroups > 0 ? { groupKey: `group-${i % fifoGroups}` } : {}),
        ...(chance(seed, 'callback', String(i)) < options.callbackShare ? { callbackUrl: `https://hooks.example.com/chaos/${i}` } : {}),
      } as EnqueueRequest;
      const dies = chance(seed, 'crash-before-send', String(i)) < rates.crashBeforeSend;
      let died!: (jobId: string) => void;
      const death = new Promise<string>((resolve) => (died = resolve));
      const queue: JobQueue = dies ? { send: (message) => (died(message.jobId), never), changeVisibility: () => never } : lab.jobQueue;
      try {
        const outcome = await Promise.race([lab.enqueueService(queue).enqueue('chaos', request).then((job) => ({ job })), death.then((jobId) => ({ jobId }))]);
        if ('jobId' in outcome) {
          counts.crashesBeforeSend++;
          crashed.push(outcome.jobId);
          unanswered.add(outcome.jobId);
          return;
        }
        accepted.push(outcome.job.jobId);
        if (chance(seed, 'duplicate', String(i)) < rates.duplicate) {
          counts.duplicatesSent++;
          allow(outcome.job.jobId);
          const message = messageOf(outcome.job);
          // On a FIFO queue a copy with a new deduplication id, as a producer's retry after SQS's 5-minute
          // deduplication interval would send: it lands in the job's group, behind the job.
          const fifo = isFifoQueue(lab.queue.url) ? { MessageGroupId: message.group, MessageDeduplicationId: `duplicate-${outcome.job.jobId}` } : {};
          await lab.sqs.send(new SendMessageCommand({ QueueUrl: lab.queue.url, MessageBody: messageBody(message), ...fifo }));
        }
      } catch {
        counts.enqueueFailures++;
      }
    };
    // Flows go through the API's flow path (check, then records, then the leaves' messages); an API that
    // dies at its first send leaves every record written and no leaf sent: the sweep sends them.
    const flowCount = fifoGroups > 0 ? 0 : Math.max(0, Math.floor(options.flows ?? 0));
    let flowsAccepted = 0;
    let flowsCrashed = 0;
    const enqueueFlowOf = async (f: number): Promise<void> => {
      const dies = chance(seed, 'crash-before-send', `flow-${f}`) < rates.crashBeforeSend;
      let died!: (jobId: string) => void;
      const death = new Promise<string>((resolve) => (died = resolve));
      const queue: JobQueue = dies ? { send: (message) => (died(message.jobId), never), changeVisibility: () => never } : lab.jobQueue;
      try {
        const service = lab.enqueueService(queue);
        const root = service.checkFlow('chaos', flowRequest(seed, f));
        const outcome = await Promise.race([service.enqueueFlow('chaos', root).then((flow) => ({ flow })), death.then((jobId) => ({ jobId }))]);
        if ('jobId' in outcome) {
          counts.crashesBeforeSend++;
          flowsCrashed++;
          for (const job of await flowJobs(lab, outcome.jobId)) {
            if (job.childIds !== undefined) parents.add(job.jobId);
            unanswered.add(job.jobId);
            crashed.push(job.jobId);
          }
          return;
        }
        flowsAccepted++;
        const walk = (node: EnqueuedFlow): void => {
          if (node.children.length > 0) parents.add(node.job.jobId);
          accepted.push(node.job.jobId);
          node.children.forEach(walk);
        };
        walk(outcome.flow);
      } catch {
        counts.enqueueFailures++;
      }
    };
    if (fifoGroups > 0) {
      // One producer per group, each enqueuing its group's jobs one after another: their enqueue order.
      await Promise.all(Array.from({ length: Math.min(fifoGroups, options.jobs) }, async (_, group) => {
        for (let i = group; i < options.jobs; i += fifoGroups) await enqueueOne(i);
      }));
    } else {
      // The flows spread evenly among the jobs.
      const total = options.jobs + flowCount;
      let jobsNext = 0;
      let flowsNext = 0;
      await Promise.all(Array.from({ length: options.enqueueConcurrency }, async () => {
        while (next < total) {
          const k = next++;
          const isFlow = Math.floor(((k + 1) * flowCount) / total) > Math.floor((k * flowCount) / total);
          await (isFlow ? enqueueFlowOf(flowsNext++) : enqueueOne(jobsNext++));
        }
      }));
    }
    const enqueuedAt = Date.now();
    log(`enqueued ${accepted.length} jobs${flowCount > 0 ? ` (${flowsAccepted} flows among them)` : ''} (${crashed.length} more whose API died before sending${flowsCrashed > 0 ? `, ${flowsCrashed} flows' among them` : ''}) in ${((enqueuedAt - started) / 1000).toFixed(1)} s; waiting for the queue to empty…`);

    // Done when nothing is left in the source queue (visible, in flight, or delayed) and the sweep has
    // nothing left to do: no record still waiting for a send or owing a webhook.
    const everyJob = [...accepted, ...crashed];
    const deadline = started + options.maxSeconds * 1000;
    let lastLog = 0;
    for (;;) {
      const left = await depth(lab, lab.queue.url);
      const owed = left === 0 ? (await readAll(lab, everyJob)).filter((r) => r && (r.sendPending !== undefined || r.webhookPending !== undefined || r.flowPending !== undefined)).length : -1;
      if (left === 0 && owed === 0) break;
      if (Date.now() > deadline) {
        violations.push(`not settled after ${options.maxSeconds} s: ${left} message(s) left in the queue, ${owed} record(s) still owing a send or a webhook`);
        break;
      }
      if (Date.now() - lastLog > 10_000) {
        lastLog = Date.now();
        log(`  ${left} message(s) still in the queue${owed > 0 ? `, ${owed} record(s) waiting for the sweep` : ''} after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      await sleep(250);
    }
    clearInterval(sweepTimer);
    await sweeping;
    const drainedAt = Date.now();

    // Invariants.
    const records = await readAll(lab, everyJob);
    const byStatus: Record<string, number> = {};
    const dead = new Set<string>();
    const owedWebhooks = new Set<string>();
    let deadByReceiveLimit = 0;
    for (const [i, record] of records.entries()) {
      const jobId = everyJob[i]!;
      if (!record) {
        violations.push(`job ${jobId} was ${crashed.includes(jobId) ? 'written' : 'accepted'} but has no record`);
        continue;
      }
      byStatus[record.status] = (byStatus[record.status] ?? 0) + 1;
      if (!isTerminal(record.status)) violations.push(`job ${jobId} is stuck in ${record.status} (attempt ${record.attempt})${record.sendPending ? `, send ${record.sendPending}` : ''}`);
      if (record.sendPending !== undefined) violations.push(`job ${jobId} still says its send is ${record.sendPending}`);
      if (record.webhookPending !== undefined) violations.push(`job ${jobId} still owes its completion webhook`);
      if (record.flowPending !== undefined) violations.push(`flow child ${jobId} was never counted on its parent ${record.parentId}`);
      if (record.status === 'DEAD') dead.add(jobId);
      if (record.status === 'SUCCEEDED' && effects.get(jobId) !== 1) violations.push(`job ${jobId} SUCCEEDED without its side effect`);
      if (record.callbackUrl !== undefined && ['SUCCEEDED', 'FAILED', 'DEAD'].includes(record.status)) owedWebhooks.add(jobId);
      // Attempts are handler runs: never more recorded than run, never past maxAttempts, and a job goes
      // DEAD only after maxAttempts runs — unless the receive-count safety net buried it (counted below).
      const runs = runsPerJob.get(jobId) ?? 0;
      // A parent failed for its children ends without a run (CHILD_FAILED), as attempt 1.
      if (record.attempt > runs && record.error?.code !== 'CHILD_FAILED') violations.push(`job ${jobId} records attempt ${record.attempt} after ${runs} handler run(s)`);
      if ((highestAttempt.get(jobId) ?? 0) > maxAttempts) violations.push(`job ${jobId} ran as attempt ${highestAttempt.get(jobId)} of ${maxAttempts}`);
      if (record.status === 'DEAD' && record.error?.code === 'RECEIVE_LIMIT') deadByReceiveLimit++;
      else if (record.status === 'DEAD' && (record.attempt !== maxAttempts || runs < maxAttempts)) {
        violations.push(`job ${jobId} is DEAD after ${runs} handler run(s), attempt ${record.attempt} of ${maxAttempts}`);
      }
      const allowance = rerunAllowance.get(jobId) ?? 0;
      if (runs > maxAttempts + allowance) violations.push(`job ${jobId} ran ${runs} times: more than ${maxAttempts} attempts + ${allowance} rerun(s) its faults explain`);
    }
    const flowFigures = checkFlows(everyJob, records);
    if (lab.mapping.stats.fifoOrderBreaks > 0) violations.push(`the consumer acknowledged ${lab.mapping.stats.fifoOrderBreaks} record(s) after a failed record of their group`);
    const dlq = await drainDlq(lab);
    let dlqCopies = 0;
    // Every DLQ message must be a hand-off a consumer made (none put there by SQS's own redrive policy).
    const handedOver = new Map<string, number>();
    for (const { jobIds } of handOffs) for (const jobId of jobIds) handedOver.set(jobId, (handedOver.get(jobId) ?? 0) + 1);
    const dlqCounts = new Map<string, number>();
    for (const jobId of dlq) dlqCounts.set(jobId, (dlqCounts.get(jobId) ?? 0) + 1);
    for (const [jobId, n] of dlqCounts) {
      if (!dead.has(jobId)) {
        const record = records[everyJob.indexOf(jobId)];
        violations.push(`DLQ holds a message of job ${jobId}, which is not DEAD (${record ? `${record.status}, attempt ${record.attempt}${record.error ? `, ${record.error.code}` : ''}` : 'no record'})`);
      }
      const handed = handedOver.get(jobId) ?? 0;
      if (n > handed) {
        const record = records[everyJob.indexOf(jobId)];
        violations.push(`DLQ holds ${n} messages of job ${jobId} but consumers handed it over ${handed} time(s) (${record ? `${record.status}, attempt ${record.attempt}${record.error ? `, ${record.error.code}` : ''}` : 'no record'})`);
      }
      if (n > 1) dlqCopies += n - 1;
    }
    for (const jobId of dead) if (!dlqCounts.has(jobId)) violations.push(`DEAD job ${jobId} has no message in the DLQ`);
    // Every SUCCEEDED/FAILED/DEAD job with a callbackUrl had its webhook queued at least once.
    const webhooks = await drainIds(lab, lab.webhookQueueUrl);
    const webhookCounts = new Map<string, number>();
    for (const jobId of webhooks) webhookCounts.set(jobId, (webhookCounts.get(jobId) ?? 0) + 1);
    for (const jobId of owedWebhooks) if (!webhookCounts.has(jobId)) violations.push(`job ${jobId} ended with a callbackUrl but its webhook was never queued`);
    // The dead-letter listing holds every DEAD job exactly once, and nothing else.
    const listed = await listDeadLetters(lab);
    const listedCounts = new Map<string, number>();
    for (const jobId of listed) listedCounts.set(jobId, (listedCounts.get(jobId) ?? 0) + 1);
    for (const jobId of dead) if (listedCounts.get(jobId) !== 1) violations.push(`DEAD job ${jobId} is listed ${listedCounts.get(jobId) ?? 0} times in the dead-letter listing`);
    for (const jobId of listedCounts.keys()) if (!dead.has(jobId)) violations.push(`the dead-letter listing holds job ${jobId}, which is not DEAD`);

    const seconds = (Date.now() - started) / 1000;
    const duplicateRuns = [...runsPerJob.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0);
    const figures: Record<string, number | string> = {
      jobsRequested: options.jobs,
      jobsAccepted: accepted.length,
      jobsWrittenButUnanswered: crashed.length,
      enqueueFailures: counts.enqueueFailures,
      ...Object.fromEntries(Object.entries(byStatus).map(([status, n]) => [`status.${status}`, n])),
      dlqMessages: dlq.length,
      dlqCopies: dlqCopies,
      deadLetterListing: listed.length,
      jobsOwingWebhook: owedWebhooks.size,
      webhooksQueued: webhooks.length,
      webhookDuplicates: webhooks.length - webhookCounts.size,
      deadByReceiveLimit,
      handlerRuns: counts.handlerRuns,
      maxRunsOfOneJob: Math.max(0, ...runsPerJob.values()),
      rerunsOfSameJob: duplicateRuns,
      injected_retryable: counts.retryableThrown,
      injected_permanent: counts.permanentThrown,
      injected_timeouts: counts.timeouts,
      injected_duplicateMessages: counts.duplicatesSent,
      injected_consumerKills: counts.kills,
      injected_storeWritesFailedAfterEffect: counts.storeErrorsAfterEffect,
      injected_lostAnswers: counts.lostAnswers,
      injected_throttledInvocations: counts.throttled,
      invocationsPastTheirTimeout: counts.timedOutInvocations,
      injected_killsAfterTerminalWrite: counts.killsAfterTerminalWrite,
      injected_crashesBeforeSend: counts.crashesBeforeSend,
      sweep_sent: sweeps.sent,
      sweep_flushed: sweeps.flushed,
      sweep_deferred: sweeps.deferred,
      throttledRecords: lab.mapping.stats.throttledRecords,
      ...(fifoGroups > 0 ? { fifoGroups, fifoOrderBreaks: lab.mapping.stats.fifoOrderBreaks } : {}),
      ...(flowCount > 0 ? { flowsRequested: flowCount, flowsAccepted, flowsWrittenButUnanswered: flowsCrashed, ...flowFigures } : {}),
      sideEffectCalls: counts.effectCalls,
      distinctSideEffects: effects.size,
      sideEffectRepeatsAbsorbedByKey: counts.effectCalls - effects.size,
      enqueueSeconds: ((enqueuedAt - started) / 1000).toFixed(1),
      drainSeconds: ((drainedAt - enqueuedAt) / 1000).toFixed(1),
      totalSeconds: seconds.toFixed(1),
      jobsPerSecond: (everyJob.length / seconds).toFixed(0),
      violations: violations.length,
    };
    const flowsLine = flowCount > 0
      ? `flows: ${flowsAccepted + flowsCrashed} of ${flowCount} enqueued (${flowsCrashed} by an API that died before its sends), ${flowFigures.flowParents} parents (${flowFigures.flowMiddleParents} a level down) over ${flowFigures.flowChildren} children; parents SUCCEEDED ${flowFigures.flowParentsSucceeded}, FAILED CHILD_FAILED ${flowFigures.flowParentsChildFailed}, ran after a failed child (continue) ${flowFigures.flowParentsContinued}, other ${flowFigures.flowParentsOther}; parent messages ${flowFigures.flowParentMessages}, every parent sent once, started after all its children ended, each child counted once (childrenPending 0), none left QUEUED`
      : undefined;
    return { ok: violations.length === 0, violations, figures, ...(flowsLine ? { flowsLine } : {}) };
  } finally {
    clearInterval(sweepTimer);
    await sweeping;
    await lab.stop();
  }
}

async function depth(lab: Lab, url: string): Promise<number> {
  const { Attributes = {} } = await lab.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) + Number(Attributes.ApproximateNumberOfMessagesDelayed);
}

async function readAll(lab: Lab, jobIds: readonly string[]): Promise<(JobRecord | undefined)[]> {
  const records: (JobRecord | undefined)[] = new Array(jobIds.length);
  let next = 0;
  await Promise.all(Array.from({ length: 16 }, async () => {
    while (next < jobIds.length) {
      const i = next++;
      records[i] = await lab.store.get(jobIds[i]!, { consistent: true });
    }
  }));
  return records;
}

/**
 * Every DLQ message's jobId, deleting each batch read: a FIFO DLQ delivers no more of a group while one of
 * its messages is in flight.
 */
function drainDlq(lab: Lab): Promise<string[]> {
  return drainIds(lab, lab.queue.dlqUrl);
}

/** The jobId of every message in a queue, deleting each batch read. */
async function drainIds(lab: Lab, queueUrl: string): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const { Messages = [] } = await lab.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 3_600 }));
    if (Messages.length === 0) return ids;
    for (const message of Messages) ids.push((JSON.parse(message.Body ?? '{}') as { jobId?: string }).jobId ?? '(no jobId)');
    await lab.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
  }
}

/** Every job id the dead-letter listing holds, page by page. */
async function listDeadLetters(lab: Lab): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await lab.deadLetters.list(lab.definition.type, { limit: 100, ...(cursor ? { cursor } : {}) });
    ids.push(...page.jobIds);
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

/**
 * Flow `f` of a seed: a parent of 2–6 children; in about a third the first child has 2–3 children of its
 * own; in about a quarter one job fails permanently (the last child, or a grandchild); about a third of
 * the parents (and half the middle ones) run on past a failed child.
 */
function flowRequest(seed: number, f: number): FlowRequest {
  const key = `flow-${f}`;
  const node = (toolId: string) => ({ type: 'analysis', payload: { toolId, url: 'https://example.com/chaos-flow', description: 'Chaos run flow job.' } });
  const continues = (what: string, share: number) => (chance(seed, what, key) < share ? { options: { onChildFailure: 'continue' as const } } : {});
  const width = 2 + Math.floor(chance(seed, 'flow-width', key) * 5);
  const deep = chance(seed, 'flow-deep', key) < 0.3;
  const fails = chance(seed, 'flow-fails', key) < 0.25;
  const failsDeep = fails && deep && chance(seed, 'flow-fails-deep', key) < 0.5;
  const children = Array.from({ length: width }, (_, c) => {
    const toolId = `${key}-c${c}${fails && !failsDeep && c === width - 1 ? '-fails' : ''}`;
    if (c !== 0 || !deep) return node(toolId);
    const grandchildren = Array.from({ length: 2 + Math.floor(chance(seed, 'flow-depth-width', key) * 2) }, (_, g) => node(`${toolId}-g${g}${failsDeep && g === 0 ? '-fails' : ''}`));
    return { ...node(toolId), ...continues('flow-middle-continues', 0.5), children: grandchildren };
  });
  return { ...node(key), ...continues('flow-continues', 0.3), children };
}

/** Every job of the flow `jobId` belongs to (their records as written): up to its parent, then down every child. */
async function flowJobs(lab: Lab, jobId: string): Promise<JobRecord[]> {
  let root = await lab.store.get(jobId, { consistent: true });
  while (root?.parentId !== undefined) root = await lab.store.get(root.parentId, { consistent: true });
  if (!root) throw new Error(`flow of job ${jobId}: no record`);
  const ids: JobRecord[] = [];
  const walk = async (job: JobRecord): Promise<void> => {
    ids.push(job);
    for (const childId of job.childIds ?? []) {
      const child = await lab.store.get(childId, { consistent: true });
      if (child) await walk(child);
    }
  };
  await walk(root);
  return ids;
}
