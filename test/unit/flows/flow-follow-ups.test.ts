import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import { parentSender } from '../../../functions/flows/send-parent.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { RecoverySweep } from '../../../functions/recovery/sweep.js';
import type { ChildOutcome, JobHandler } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { DependencyUnavailableError, PermanentJobError } from '../../../shared/domain/errors.js';
import { JobIdGenerator } from '../../../shared/domain/job-id.js';
import type { JobMessage, JobRecord } from '../../../shared/domain/job.js';
import { flowRequestSchema } from '../../../shared/jobs/flow.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import { analysisPayload, invocation, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { diesAfterTerminalWrite } from '../../helpers/dying-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemoryRecoveryIndex } from '../../helpers/memory-recovery-index.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { JobData } from '../../../functions/job-data/job-data.js';

const MINUTE = 60_000;

/** A flow world: a store, a queue that records what it is sent (and can be down), a clock, the API's JobService. */
function setup() {
  let now = Date.parse('2026-12-06T08:00:00.000Z');
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const ids = new JobIdGenerator();
  const store = new MemoryJobStore();
  const sent: JobMessage[] = [];
  const queueState = { down: false };
  const queue: ConsumerQueue = {
    send: vi.fn(async (message: JobMessage) => {
      if (queueState.down) throw new DependencyUnavailableError('sqs', 'injected: queue down');
      sent.push(message);
    }),
    changeVisibility: vi.fn(async () => undefined),
    deadLetter: vi.fn(async () => undefined),
  };
  const index = new MemoryRecoveryIndex(store);
  const jobs = new JobService({ store, queue, logger: silentLogger, activity: index, now: clock.now, newJobId: (tenant) => ids.next(tenant, clock.now()) });
  const flusher = (view: JobStore = store) => new FollowUpFlusher({ store: view, sendParent: parentSender({ store: view, queue, logger: silentLogger, now: clock.now }), logger: silentLogger });
  const worker = (handler: JobHandler<unknown>, view: JobStore = store) =>
    new JobWorker(jobRegistry.analysis, handler, { store: view, queue, followUps: flusher(view), logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5, storeRetryDelaysMs: [0], now: () => clock.now().getTime() });
  const sweep = () => new RecoverySweep({ store, index, queue, followUps: flusher(), logger: silentLogger, now: clock.now, hasQueue: () => true });
  const enqueue = async (body: unknown) => jobs.enqueueFlow('tenant-a', jobs.checkFlow('tenant-a', flowRequestSchema.parse(body)));
  return { clock, store, sent, queueState, jobs, worker, sweep, enqueue, flusher };
}

const node = (toolId: string, children?: unknown[], options?: unknown) => ({ type: 'analysis', payload: analysisPayload({ toolId }), ...(children ? { children } : {}), ...(options ? { options } : {}) });
const toolIdOf = (payload: unknown) => (payload as { toolId: string }).toolId;

/** Delivers a job's message (as SQS would) to a worker. */
async function deliver(worker: JobWorker<unknown>, store: MemoryJobStore, jobId: string, receiveCount = 1) {
  return worker.processBatch(sqsEvent(sqsRecord(store.jobs.get(jobId)!, receiveCount)), invocation());
}

describe('Function: enqueueFlow', () => {
  it('writes every record, the parent held with its count, and sends only the jobs without children', async () => {
    // Prepare
    const { store, sent, enqueue } = setup();

    // Act
    const flow = await enqueue(node('p', [node('a'), node('b', [node('b1'), node('b2')])]));

    // Assess
    const parent = store.jobs.get(flow.job.jobId)!;
    const [a, b] = flow.children;
    expect(parent).toMatchObject({ status: 'QUEUED', sendPending: 'children', childrenPending: 2, childOutcomes: {}, childIds: [a!.job.jobId, b!.job.jobId] });
    expect(store.jobs.get(b!.job.jobId)).toMatchObject({ parentId: parent.jobId, sendPending: 'children', childrenPending: 2 });
    expect(store.jobs.get(b!.children[0]!.job.jobId)).toMatchObject({ parentId: b!.job.jobId, sendPending: 'pending' });
    expect(sent.map((m) => m.jobId).sort()).toEqual([a!.job.jobId, b!.children[0]!.job.jobId, b!.children[1]!.job.jobId].sort());
    // Records before messages, a parent before its children.
    const creates = store.writes.filter((w) => w.kind === 'create').map((w) => w.jobId);
    expect(creates.indexOf(parent.jobId)).toBe(0);
    expect(creates.indexOf(b!.job.jobId)).toBeLessThan(creates.indexOf(b!.children[0]!.job.jobId));
  });

  it('leaves nothing behind when a child\'s record cannot be written: children deleted before their parent', async () => {
    // Prepare: the store refuses the third record
    const { store, sent, jobs } = setup();
    let creates = 0;
    const create = store.create.bind(store);
    store.create = async (job: JobRecord) => {
      if (++creates === 3) throw new DependencyUnavailableError('dynamodb', 'injected');
      return create(job);
    };
    const root = jobs.checkFlow('tenant-a', flowRequestSchema.parse(node('p', [node('a'), node('b'), node('c')])));

    // Act
    const attempt = jobs.enqueueFlow('tenant-a', root);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(store.jobs.size).toBe(0);
    expect(sent).toEqual([]);
    const discards = store.writes.filter((w) => w.kind === 'discard').map((w) => w.jobId);
    const parentId = store.writes.find((w) => w.kind === 'create')!.jobId;
    expect(discards.at(-1)).toBe(parentId);
  });

  it('deletes the flow and answers unavailable when no child could be sent', async () => {
    const { store, queueState, enqueue } = setup();
    queueState.down = true;
    await expect(enqueue(node('p', [node('a'), node('b')]))).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(store.jobs.size).toBe(0);
  });
});

describe('Function: a flow child\'s end, counted on its parent', () => {
  it('runs the parent once, after both children, with their results in its context', async () => {
    // Prepare
    const { store, sent, enqueue, worker } = setup();
    const flow = await enqueue(node('p', [node('a'), node('b')]));
    let seen: readonly ChildOutcome[] | undefined;
    const handler: JobHandler<unknown> = async (payload, ctx) => {
      if (toolIdOf(payload) === 'p') seen = ctx.children;
      return { done: toolIdOf(payload) };
    };

    // Act
    for (const child of flow.children) await deliver(worker(handler), store, child.job.jobId);
    const parentMessages = sent.filter((m) => m.jobId === flow.job.jobId);
    await deliver(worker(handler), store, flow.job.jobId);

    // Assess
    expect(parentMessages).toHaveLength(1);
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ status: 'SUCCEEDED', childrenPending: 0 });
    expect(store.jobs.get(flow.job.jobId)).not.toHaveProperty('sendPending');
    expect(seen).toEqual([
      { jobId: flow.children[0]!.job.jobId, type: 'analysis', status: 'SUCCEEDED', result: { done: 'a' } },
      { jobId: flow.children[1]!.job.jobId, type: 'analysis', status: 'SUCCEEDED', result: { done: 'b' } },
    ]);
  });

  it('never counts a child twice: a duplicate delivery, and a flush repeated after its clear', async () => {
    // Prepare
    const { store, sent, enqueue, worker, flusher } = setup();
    const flow = await enqueue(node('p', [node('a'), node('b')]));
    const a = flow.children[0]!.job.jobId;
    await deliver(worker(async () => 'ok'), store, a);
    const ended = store.jobs.get(a)!;

    // Act: the same message again, and a stale copy of the terminal record flushed again
    await deliver(worker(async () => 'ok'), store, a, 2);
    const repeated = await flusher().flush({ ...ended, flowPending: ended.finishedAt! });

    // Assess
    expect(repeated).toBe('already-flushed');
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ status: 'QUEUED', childrenPending: 1, sendPending: 'children' });
    expect(sent.filter((m) => m.jobId === flow.job.jobId)).toEqual([]);
  });

  it('finishes the count on the redelivery when the child\'s consumer died between its terminal write and the flush', async () => {
    // Prepare
    const { store, sent, enqueue, worker } = setup();
    const flow = await enqueue(node('p', [node('a')]));
    const a = flow.children[0]!.job.jobId;
    void deliver(worker(async () => 'ok', diesAfterTerminalWrite(store)), store, a);
    for (let i = 0; i < 100 && store.jobs.get(a)!.status !== 'SUCCEEDED'; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    const afterCrash = { child: store.jobs.get(a)!, parent: store.jobs.get(flow.job.jobId)! };

    // Act: the message was never acknowledged, so it comes back
    const response = await deliver(worker(async () => 'ran again'), store, a, 2);

    // Assess
    expect(afterCrash.child).toMatchObject({ status: 'SUCCEEDED', flowPending: afterCrash.child.finishedAt });
    expect(afterCrash.parent.childrenPending).toBe(1);
    expect(response.batchItemFailures).toEqual([]);
    expect(store.jobs.get(a)).toMatchObject({ status: 'SUCCEEDED', result: 'ok' });
    expect(store.jobs.get(a)).not.toHaveProperty('flowPending');
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ childrenPending: 0 });
    expect(sent.filter((m) => m.jobId === flow.job.jobId)).toHaveLength(1);
  });

  it('sends the parent exactly once when two flushes of the last child race', async () => {
    const { store, sent, enqueue, worker, flusher } = setup();
    const flow = await enqueue(node('p', [node('a')]));
    const a = flow.children[0]!.job.jobId;
    // The child ends; its own flush is lost (the consumer dies), leaving the marker to two flushers at once.
    void deliver(worker(async () => 'ok', diesAfterTerminalWrite(store)), store, a);
    for (let i = 0; i < 100 && store.jobs.get(a)!.status !== 'SUCCEEDED'; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    const ended = store.jobs.get(a)!;

    const outcomes = await Promise.all([flusher().flush(ended), flusher().flush(ended)]);

    expect(sent.filter((m) => m.jobId === flow.job.jobId)).toHaveLength(1);
    expect(outcomes).toContain('flushed');
  });

  it('keeps the child owed while the queue is down; the recovery sweep counts it and sends the parent', async () => {
    // Prepare
    const { store, sent, queueState, enqueue, worker, sweep, clock } = setup();
    const flow = await enqueue(node('p', [node('a')]));
    const a = flow.children[0]!.job.jobId;
    queueState.down = true;
    await deliver(worker(async () => 'ok'), store, a);
    const owed = store.jobs.get(a)!;

    // Act
    queueState.down = false;
    clock.advance(2 * MINUTE);
    const report = await sweep().run();

    // Assess
    expect(owed).toMatchObject({ status: 'SUCCEEDED', flowPending: owed.finishedAt, sweepAt: expect.any(String) });
    expect(report.flushed).toBe(1);
    expect(sent.filter((m) => m.jobId === flow.job.jobId)).toHaveLength(1);
    expect(store.jobs.get(a)).not.toHaveProperty('flowPending');
    expect(store.jobs.get(a)).not.toHaveProperty('sweepAt');
  });
});

describe('Function: JobWorker — a flow\'s parent', () => {
  it('refuses a message of a parent whose children have not all ended (acknowledged, not run)', async () => {
    const { store, enqueue, worker } = setup();
    const flow = await enqueue(node('p', [node('a')]));
    const handler = vi.fn(async () => 'ran');

    const response = await deliver(worker(handler), store, flow.job.jobId);

    expect(response.batchItemFailures).toEqual([]);
    expect(handler).not.toHaveBeenCalled();
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ status: 'QUEUED', childrenPending: 1 });
  });

  it('ends the parent FAILED with CHILD_FAILED naming the child, without running it; with onChildFailure continue it runs', async () => {
    // Prepare
    const { store, enqueue, worker } = setup();
    const strict = await enqueue(node('p', [node('ok'), node('bad')]));
    const lenient = await enqueue(node('q', [node('bad')], { onChildFailure: 'continue' }));
    const ran: string[] = [];
    let seen: readonly ChildOutcome[] | undefined;
    const handler: JobHandler<unknown> = async (payload, ctx) => {
      ran.push(toolIdOf(payload));
      if (toolIdOf(payload) === 'q') seen = ctx.children;
      if (toolIdOf(payload) === 'bad') throw new PermanentJobError('no good', 'BAD_INPUT');
      return 'ok';
    };
    for (const child of [...strict.children, ...lenient.children]) await deliver(worker(handler), store, child.job.jobId);

    // Act
    await deliver(worker(handler), store, strict.job.jobId);
    await deliver(worker(handler), store, lenient.job.jobId);

    // Assess
    const bad = strict.children[1]!.job.jobId;
    expect(store.jobs.get(strict.job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'CHILD_FAILED', message: `child ${bad} ended FAILED` } });
    expect(ran).not.toContain('p');
    expect(store.jobs.get(lenient.job.jobId)).toMatchObject({ status: 'SUCCEEDED' });
    expect(seen).toEqual([{ jobId: lenient.children[0]!.job.jobId, type: 'analysis', status: 'FAILED', error: { code: 'BAD_INPUT', message: 'no good' } }]);
  });
});

describe('Function: JobService.cancel on a flow parent', () => {
  it('cancels the parent and its unfinished children and grandchildren; an ended child stays as it is', async () => {
    // Prepare
    const { store, enqueue, worker, jobs } = setup();
    const flow = await enqueue(node('p', [node('done'), node('mid', [node('g')])]));
    const [done, mid] = flow.children;
    await deliver(worker(async () => 'ok'), store, done!.job.jobId);

    // Act
    const outcome = await jobs.cancel('tenant-a', flow.job.jobId);

    // Assess
    expect(outcome?.kind).toBe('cancelled');
    expect(store.jobs.get(flow.job.jobId)!.status).toBe('CANCELLED');
    expect(store.jobs.get(done!.job.jobId)!.status).toBe('SUCCEEDED');
    expect(store.jobs.get(mid!.job.jobId)!.status).toBe('CANCELLED');
    expect(store.jobs.get(mid!.children[0]!.job.jobId)!.status).toBe('CANCELLED');
  });
});

describe('Function: a flow with payloads and results stored apart', () => {
  it('stores a large child payload in the job-data bucket, and gives the parent a child\'s large result read back', async () => {
    // Prepare: inline limits of 200 bytes, so the long description and the long result go to S3
    const store = new MemoryJobStore();
    const sent: JobMessage[] = [];
    const queue: ConsumerQueue = { send: vi.fn(async (message: JobMessage) => void sent.push(message)), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
    const jobData = new JobData({ blobs: new MemoryBlobStore(), logger: silentLogger, urlTtlSeconds: 300, limits: { payload: 200, result: 200 } });
    const ids = new JobIdGenerator();
    const jobs = new JobService({ store, queue, logger: silentLogger, jobData, newJobId: (tenant) => ids.next(tenant, new Date()) });
    const long = 'A fast and simple tool. '.repeat(20);
    const flow = await jobs.enqueueFlow('tenant-a', jobs.checkFlow('tenant-a', flowRequestSchema.parse({ type: 'analysis', payload: analysisPayload({ toolId: 'p' }), children: [{ type: 'analysis', payload: analysisPayload({ toolId: 'c', description: long }) }] })));
    let seen: readonly ChildOutcome[] | undefined;
    const handler: JobHandler<unknown> = async (payload, ctx) => {
      seen = ctx.children;
      return { toolId: toolIdOf(payload), echo: 'x'.repeat(500) };
    };
    const worker = new JobWorker(jobRegistry.analysis, handler, { store, queue, jobData, followUps: new FollowUpFlusher({ store, sendParent: parentSender({ store, queue, logger: silentLogger }), logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5, storeRetryDelaysMs: [0] });
    const childId = flow.children[0]!.job.jobId;

    // Act
    await deliver(worker, store, childId);
    await deliver(worker, store, flow.job.jobId);

    // Assess
    expect(store.jobs.get(childId)).toMatchObject({ status: 'SUCCEEDED', payloadRef: expect.any(Object), resultRef: expect.any(Object) });
    expect(store.jobs.get(childId)!.payload).toBeUndefined();
    expect(seen).toEqual([{ jobId: childId, type: 'analysis', status: 'SUCCEEDED', result: { toolId: 'c', echo: 'x'.repeat(500) } }]);
    expect(store.jobs.get(flow.job.jobId)!.status).toBe('SUCCEEDED');
  });
});

describe('Function: a flow under job controls (edits, job TTL)', () => {
  it('refuses to edit a parent waiting for its children (409): its message is sent when the last one ends', async () => {
    // Prepare
    const { store, sent, jobs, enqueue } = setup();
    const flow = await enqueue(node('p', [node('a')]));
    const before = store.jobs.get(flow.job.jobId)!;

    // Act
    const edit = jobs.edit('tenant-a', flow.job.jobId, { payload: analysisPayload({ toolId: 'p-edited' }) });

    // Assess: nothing sent, nothing changed
    await expect(edit).rejects.toMatchObject({ name: 'JobNotEditableError', code: 'JOB_WAITING_FOR_CHILDREN' });
    expect(store.jobs.get(flow.job.jobId)).toEqual(before);
    expect(sent.filter((m) => m.jobId === flow.job.jobId)).toEqual([]);
  });

  it('edits a child that has not started: it runs once with the edit, and its end is counted on the parent', async () => {
    // Prepare
    const { store, sent, jobs, enqueue, worker } = setup();
    const flow = await enqueue(node('p', [node('a')]));
    const a = flow.children[0]!.job.jobId;
    const ran: string[] = [];
    const handler: JobHandler<unknown> = async (payload) => void ran.push(toolIdOf(payload));
    const original = store.jobs.get(a)!;

    // Act: the edit, then both the old message and the edit's
    await jobs.edit('tenant-a', a, { payload: analysisPayload({ toolId: 'a-edited' }) });
    await worker(handler).processBatch(sqsEvent(sqsRecord(original)), invocation());
    await deliver(worker(handler), store, a);

    // Assess
    expect(ran).toEqual(['a-edited']);
    expect(store.jobs.get(a)).toMatchObject({ status: 'SUCCEEDED', parentId: flow.job.jobId });
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ childrenPending: 0, childOutcomes: { [a]: 'SUCCEEDED' } });
    expect(sent.filter((m) => m.jobId === flow.job.jobId)).toHaveLength(1);
  });

  it('counts a child that expired (not started by its start-by time) on its parent, which then fails with CHILD_FAILED', async () => {
    // Prepare: a child whose start-by time passes before its message is delivered
    const { clock, store, sent, enqueue, worker } = setup();
    const flow = await enqueue(node('p', [node('a'), node('b')]));
    const [a, b] = flow.children.map((child) => child.job.jobId) as [string, string];
    store.jobs.set(a, { ...store.jobs.get(a)!, startBy: new Date(clock.now().getTime() + MINUTE).toISOString() });
    const handler = vi.fn(async () => 'ok');
    await deliver(worker(handler), store, b);
    clock.advance(2 * MINUTE);

    // Act
    await deliver(worker(handler), store, a);
    const parentMessages = sent.filter((m) => m.jobId === flow.job.jobId);
    await deliver(worker(handler), store, flow.job.jobId);

    // Assess
    expect(store.jobs.get(a)).toMatchObject({ status: 'EXPIRED' });
    expect(store.jobs.get(a)).not.toHaveProperty('flowPending');
    expect(parentMessages).toHaveLength(1);
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ status: 'FAILED', childrenPending: 0, error: { code: 'CHILD_FAILED', message: `child ${a} ended EXPIRED` } });
    expect(handler).toHaveBeenCalledTimes(1);
  });
});
