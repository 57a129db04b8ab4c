import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import type { EnqueuedFlow } from '../../../functions/flows/enqueue-flow.js';
import { parentSender } from '../../../functions/flows/send-parent.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { RecoverySweep } from '../../../functions/recovery/sweep.js';
import type { JobHandler } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { DependencyUnavailableError, PermanentJobError } from '../../../shared/domain/errors.js';
import { JobIdGenerator } from '../../../shared/domain/job-id.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import { isTerminal } from '../../../shared/domain/status.js';
import { flowRequestSchema } from '../../../shared/jobs/flow.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import { analysisPayload, invocation, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import '../../helpers/fast-check-seed.js';
import { diesAfterTerminalWrite } from '../../helpers/dying-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemoryRecoveryIndex } from '../../helpers/memory-recovery-index.js';

/*
 * A model of flows under the faults of at-least-once delivery: messages delivered in any order, some
 * twice; consumers killed right after a terminal write (before its flush and acknowledgement); the job
 * queue down for a while; the recovery sweep at any moment. Whatever happens, once everything is
 * delivered and swept: every job has ended, every parent got exactly one message, and a parent's
 * handler ran at most once, only after all its children had ended, and only if they all succeeded or
 * it said continue.
 */

interface Shape {
  readonly fails: boolean;
  readonly onChildFailure: 'fail' | 'continue';
  readonly children: readonly Shape[];
}

const shape: fc.Arbitrary<Shape> = fc.letrec<{ node: Shape }>((tie) => ({
  node: fc.record({
    fails: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    onChildFailure: fc.constantFrom('fail' as const, 'continue' as const),
    children: fc.oneof({ depthSize: 'small', withCrossShrink: true }, fc.constant([] as Shape[]), fc.array(tie('node'), { minLength: 1, maxLength: 3 })),
  }),
})).node;

const rootShape = fc.record({
  fails: fc.constant(false),
  onChildFailure: fc.constantFrom('fail' as const, 'continue' as const),
  children: fc.array(shape, { minLength: 1, maxLength: 4 }),
});

/** What happens at each step: deliver the message at an index (maybe twice, maybe killing its consumer), sweep, or flip the queue. */
const step = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('deliver' as const), pick: fc.nat(), duplicate: fc.integer({ min: 0, max: 5 }).map((n) => n === 0), kill: fc.integer({ min: 0, max: 5 }).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('sweep' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('queue' as const), down: fc.boolean() }) },
);

function depthOf(node: Shape): number {
  return node.children.length === 0 ? 0 : 1 + Math.max(...node.children.map(depthOf));
}
function countOf(node: Shape): number {
  return node.children.reduce((sum, child) => sum + 1 + countOf(child), 0);
}

describe('Model: flows under duplicate deliveries, killed consumers, a queue that goes down and the sweep', () => {
  it('runs every parent at most once, after all its children, and every parent gets exactly one message', async () => {
    await fc.assert(
      fc.asyncProperty(rootShape.filter((root) => depthOf(root) <= 3 && countOf(root) <= 100), fc.array(step, { maxLength: 60 }), async (root, steps) => {
        // Prepare: a world with a clock, a store, a queue that records and can be down, the sweep
        let now = Date.parse('2026-12-06T08:00:00.000Z');
        const clock = () => new Date(now);
        const ids = new JobIdGenerator();
        const store = new MemoryJobStore();
        store.now = clock;
        const index = new MemoryRecoveryIndex(store);
        const pool: { message: JobMessage; sentAt: number }[] = [];
        const sends = new Map<string, number>();
        const queueState = { down: false };
        const queue: ConsumerQueue = {
          send: vi.fn(async (message: JobMessage) => {
            if (queueState.down) throw new DependencyUnavailableError('sqs', 'injected: queue down');
            pool.push({ message, sentAt: now });
            sends.set(message.jobId, (sends.get(message.jobId) ?? 0) + 1);
          }),
          changeVisibility: vi.fn(async () => undefined),
          deadLetter: vi.fn(async () => undefined),
        };
        const jobs = new JobService({ store, queue, logger: silentLogger, activity: index, now: clock, newJobId: (tenant) => ids.next(tenant, clock()) });
        const shapes = new Map<string, Shape>();
        const toolIds = new Map<string, string>();
        let counter = 0;
        const toBody = (node: Shape): unknown => {
          const toolId = `t-${counter++}`;
          toolIds.set(toolId, '');
          return { type: 'analysis', payload: analysisPayload({ toolId }), options: { onChildFailure: node.onChildFailure }, ...(node.children.length ? { children: node.children.map(toBody) } : {}) };
        };
        const flow = await jobs.enqueueFlow('tenant-a', jobs.checkFlow('tenant-a', flowRequestSchema.parse(toBody(root))));
        const register = (enqueued: EnqueuedFlow, node: Shape): void => {
          shapes.set(enqueued.job.jobId, node);
          enqueued.children.forEach((child, i) => register(child, node.children[i]!));
        };
        register(flow, root);
        const runs = new Map<string, number>();
        const violations: string[] = [];
        const handler: JobHandler<unknown> = async (_payload, ctx) => {
          runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
          const record = store.jobs.get(ctx.jobId)!;
          for (const childId of record.childIds ?? []) {
            const child = store.jobs.get(childId);
            if (!child || !isTerminal(child.status)) violations.push(`${ctx.jobId} ran before its child ${childId} ended (${child?.status})`);
          }
          if (shapes.get(ctx.jobId)!.fails) throw new PermanentJobError('this one fails');
          return { children: ctx.children?.length ?? 0 };
        };
        const followUps = (view: JobStore) => new FollowUpFlusher({ store: view, sendParent: parentSender({ store: view, queue, logger: silentLogger, now: clock }), logger: silentLogger });
        const worker = (view: JobStore) => new JobWorker(jobRegistry.analysis, handler, { store: view, queue, followUps: followUps(view), logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5, storeRetryDelaysMs: [0], now: () => now });
        const sweep = new RecoverySweep({ store, index, queue, followUps: followUps(store), logger: silentLogger, now: clock, hasQueue: () => true });
        const receives = new Map<string, number>();

        const deliver = async (index: number, options: { duplicate: boolean; kill: boolean }): Promise<void> => {
          const { message, sentAt } = pool[index]!;
          const record = store.jobs.get(message.jobId);
          if (!record) return void pool.splice(index, 1);
          const receiveCount = (receives.get(message.jobId) ?? 0) + 1;
          receives.set(message.jobId, receiveCount);
          const base = sqsRecord(record, receiveCount, { messageId: `m-${message.jobId}` });
          const sqs = { ...base, attributes: { ...base.attributes, SentTimestamp: String(sentAt) } };
          if (options.kill) {
            // The consumer dies right after its terminal write: nothing after it runs, the message stays.
            let died!: () => void;
            const dead = new Promise<void>((resolve) => (died = resolve));
            void worker(diesAfterTerminalWrite(store, died)).processBatch(sqsEvent(sqs), invocation());
            await Promise.race([dead, new Promise((resolve) => setTimeout(resolve, 0))]);
            return;
          }
          const response = await worker(store).processBatch(sqsEvent(sqs), invocation());
          // Acknowledged: gone (unless SQS delivers a duplicate later).
          if (response.batchItemFailures.length === 0 && !options.duplicate) pool.splice(index, 1);
        };

        // Act: the drawn steps, then the world settles (queue up, everything delivered, swept)
        for (const s of steps) {
          if (s.kind === 'deliver' && pool.length > 0) await deliver(s.pick % pool.length, s);
          if (s.kind === 'sweep') {
            now += 2 * 60_000;
            await sweep.run();
          }
          if (s.kind === 'queue') queueState.down = s.down;
        }
        queueState.down = false;
        let deliveries = 0;
        for (let round = 0; round < 50; round++) {
          while (pool.length > 0) {
            if (++deliveries > 2_000) throw new Error(`the world never settled: ${JSON.stringify(pool.map((p) => store.jobs.get(p.message.jobId)))}`);
            await deliver(0, { duplicate: false, kill: false });
          }
          now += 2 * 60_000;
          const report = await sweep.run();
          if (pool.length === 0 && report.sent === 0 && report.flushed === 0) break;
        }

        // Assess
        expect(violations).toEqual([]);
        for (const [jobId, node] of shapes) {
          const record = store.jobs.get(jobId)!;
          expect(isTerminal(record.status), `${jobId} ended (${record.status})`).toBe(true);
          expect(record.flowPending, `${jobId} counted by its parent`).toBeUndefined();
          expect(runs.get(jobId) ?? 0).toBeLessThanOrEqual(1);
          if (node.children.length === 0) continue;
          expect(sends.get(jobId), `parent ${jobId} messages`).toBe(1);
          const children = record.childIds!.map((id) => store.jobs.get(id)!);
          const allSucceeded = children.every((child) => child.status === 'SUCCEEDED');
          const shouldRun = allSucceeded || node.onChildFailure === 'continue';
          expect(runs.get(jobId) ?? 0, `parent ${jobId} ran`).toBe(shouldRun ? 1 : 0);
          if (!shouldRun) expect(record.error?.code).toBe('CHILD_FAILED');
          expect(record.childrenPending).toBe(0);
        }
      }),
      { numRuns: Number(process.env.CONVEYOR_PROPERTY_RUNS ?? 200) },
    );
  });
});
