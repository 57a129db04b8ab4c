import { describe, expect, it, vi } from 'vitest';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { DeadJobSource } from '../../../functions/redrive/dead-job-source.js';
import { RedriveRunner, type RedriveSource } from '../../../functions/redrive/redrive-runner.js';
import { DependencyUnavailableError, RedriveInProgressError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { QueueAdmin, RedriveTask } from '../../../shared/ports/queue-admin.js';
import type { RedriveTaskRecord } from '../../../shared/ports/redrive-tasks.js';
import { queuedJob } from '../../helpers/factories.js';
import { MemoryDeadLetters } from '../../helpers/memory-dead-letters.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemoryNudges, MemoryRedriveTasks } from '../../helpers/memory-redrive-tasks.js';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');

/** A message move that runs for `looks` looks, then completes (or fails). */
class FakeMoves implements Pick<QueueAdmin, 'startRedrive' | 'latestRedrive'> {
  starts = 0;
  startFailures = 0;
  #task: RedriveTask | undefined;
  #looks = 0;
  constructor(private readonly clock: { now: () => Date }, private readonly options: { looks?: number; toMove?: number; fail?: boolean } = {}) {}

  async startRedrive(): Promise<void> {
    if (this.startFailures > 0) {
      this.startFailures--;
      throw new DependencyUnavailableError('sqs', 'down');
    }
    if (this.#task?.status === 'RUNNING') throw new RedriveInProgressError('analysis');
    this.starts++;
    this.#looks = 0;
    this.#task = { status: 'RUNNING', moved: 0, toMove: this.options.toMove ?? 3, startedAt: this.clock.now().toISOString() };
  }

  /** A move that ran before (another task's), finished. */
  finishedBefore(startedAt: string, moved: number): void {
    this.#task = { status: 'COMPLETED', moved, toMove: moved, startedAt };
  }

  async latestRedrive(): Promise<RedriveTask | undefined> {
    if (this.#task?.status === 'RUNNING' && ++this.#looks > (this.options.looks ?? 1)) {
      this.#task = this.options.fail ? { ...this.#task, status: 'FAILED', failureReason: 'AccessDenied' } : { ...this.#task, status: 'COMPLETED', moved: this.#task.toMove };
    }
    return this.#task;
  }
}

function setup(options: { dead?: number; pageSize?: number; looks?: number; fail?: boolean } = {}) {
  let nowMs = T0;
  const clock = { now: () => new Date(nowMs), advance: (ms: number) => (nowMs += ms) };
  const store = new MemoryJobStore();
  store.now = clock.now;
  const deadLetters = new MemoryDeadLetters(store, clock.now);
  const tasks = new MemoryRedriveTasks(clock.now);
  const nudges = new MemoryNudges();
  const moves = new FakeMoves(clock, { looks: options.looks ?? 1, toMove: options.dead ?? 0, ...(options.fail ? { fail: true } : {}) });
  let ids = 0;
  const source = new DeadJobSource({ type: 'analysis', store, deadLetters, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, now: clock.now });
  const sourceFor = { current: source as RedriveSource };
  const runner = new RedriveRunner({ tasks, nudges, queues: moves, source: (queue) => (queue === 'analysis' ? sourceFor.current : undefined), logger: silentLogger, now: clock.now, newId: () => `id-${++ids}`, settings: { pageSize: options.pageSize ?? 100, concurrency: 4 } });
  return { clock, store, deadLetters, tasks, nudges, moves, runner, source, sourceFor };
}

async function deadJobs(store: MemoryJobStore, count: number, finishedAt = new Date(T0 - 60_000).toISOString()): Promise<JobRecord[]> {
  const jobs: JobRecord[] = [];
  for (let i = 0; i < count; i++) {
    const job = queuedJob({ status: 'DEAD', attempt: 3, finishedAt, ttl: 2e9, deadLetterType: 'analysis', deadLetterUntil: 2e9, error: { code: 'E', message: 'boom' } });
    await store.create(job);
    jobs.push(job);
  }
  return jobs;
}

async function requestTask(tasks: MemoryRedriveTasks, nudges: MemoryNudges, clock: { now: () => Date }, deadJobCount: number): Promise<RedriveTaskRecord> {
  const now = clock.now().toISOString();
  const task: RedriveTaskRecord = { taskId: 'task-1', queue: 'analysis', state: 'REQUEUEING', createdAt: now, updatedAt: now, deadJobs: deadJobCount, dlqMessages: deadJobCount, requeued: 0, skipped: 0, failures: 0, pages: 0, nudge: 'first' };
  await tasks.create(task);
  await nudges.send({ queue: 'analysis', taskId: 'task-1', nudge: 'first' });
  return task;
}

/** Delivers nudges until none is left (or `limit`), as the redrive consumer would. */
async function drain(runner: RedriveRunner, nudges: MemoryNudges, clock: { advance: (ms: number) => void }, limit = 100) {
  const outcomes = [];
  for (let i = 0; i < limit; i++) {
    const nudge = nudges.take();
    if (!nudge) break;
    clock.advance(1_000);
    outcomes.push(await runner.handle(nudge, () => 60_000));
  }
  return outcomes;
}

describe('Class: RedriveRunner', () => {
  it('puts 250 dead records back in pages of 100, then moves the messages and completes', async () => {
    // Prepare
    const { clock, store, tasks, nudges, moves, runner } = setup({ pageSize: 100, looks: 2, dead: 250 });
    const jobs = await deadJobs(store, 250);
    await requestTask(tasks, nudges, clock, 250);

    // Act
    const outcomes = await drain(runner, nudges, clock);

    // Assess
    expect(outcomes.at(-1)).toMatchObject({ kind: 'finished', task: { state: 'COMPLETED' } });
    const task = await tasks.get('analysis');
    expect(task).toMatchObject({ state: 'COMPLETED', requeued: 250, skipped: 0, failures: 0, pages: 3, move: { status: 'COMPLETED', moved: 250, toMove: 250 }, finishedAt: expect.any(String) });
    expect(task).not.toHaveProperty('leaseUntil');
    expect(moves.starts).toBe(1);
    for (const job of jobs) expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED', attempt: 0, redriveCount: 1, sendPending: 'pending' });
    // Every run handed on exactly one nudge, and nothing is left to drive a finished task.
    expect(nudges.sent).toEqual([]);
  });

  it('resumes after a consumer died mid-page: the page is done again and no record is put back twice', async () => {
    // Prepare: the source dies (throws) after the 30th record of the second page
    const { clock, store, tasks, nudges, runner, source, sourceFor } = setup({ pageSize: 50, dead: 120 });
    const jobs = await deadJobs(store, 120);
    await requestTask(tasks, nudges, clock, 120);
    let calls = 0;
    sourceFor.current = {
      page: (after, limit) => source.page(after, limit),
      requeue: async (jobId, task) => {
        if (++calls === 80) throw new Error('consumer died');
        return source.requeue(jobId, task);
      },
    };

    // Act: the run dies; SQS redelivers its nudge once the lease has run out
    const first = nudges.take()!;
    const died = await runner.handle(first, () => 60_000).catch((error: unknown) => error);
    const midway = await tasks.get('analysis');
    const busy = await runner.handle(first, () => 60_000);
    clock.advance(runner.settings.leaseMs + 1);
    sourceFor.current = source;
    await nudges.send(first);
    await drain(runner, nudges, clock);

    // Assess
    expect(died).toBeInstanceOf(Error);
    expect(midway).toMatchObject({ state: 'REQUEUEING', pages: 1, requeued: 50 });
    expect(busy).toMatchObject({ kind: 'busy' });
    const task = await tasks.get('analysis');
    expect(task).toMatchObject({ state: 'COMPLETED', requeued: 120, skipped: 0, failures: 0, pages: 3 });
    for (const job of jobs) expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED', redriveCount: 1 });
    const requeueWrites = store.writes.filter((w) => w.kind === 'transition' && w.to === 'QUEUED');
    expect(requeueWrites).toHaveLength(120);
  });

  it('stops a run that overran its lease once another run has taken the task: each page is counted once', async () => {
    // Prepare: run A stalls on a record of the first page past its lease; a second delivery of the
    // same nudge (B) takes the task over and stalls too, on the same page
    const { clock, store, tasks, nudges, runner, source, sourceFor } = setup({ pageSize: 10, dead: 15 });
    await deadJobs(store, 15);
    await requestTask(tasks, nudges, clock, 15);
    const gates: { release: () => void; reached: Promise<void> }[] = [];
    const gate = () => {
      let release!: () => void;
      let reached!: () => void;
      const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      gates.push({ release, reached: reachedPromise });
      return { released, reached };
    };
    const gateA = gate();
    const gateB = gate();
    let calls = 0;
    sourceFor.current = {
      page: (after, limit) => source.page(after, limit),
      requeue: async (jobId, task) => {
        calls++;
        const wait = calls === 1 ? gateA : calls === 11 ? gateB : undefined;
        if (wait) {
          wait.reached();
          await wait.released;
        }
        return source.requeue(jobId, task);
      },
    };
    const first = nudges.take()!;
    const runA = runner.handle(first, () => 60_000);
    await gates[0]!.reached;
    // A's other lanes finish the rest of its page before B starts
    await vi.waitFor(() => expect(calls).toBe(10));
    clock.advance(runner.settings.leaseMs + 1);
    const runB = runner.handle(first, () => 60_000);
    await gates[1]!.reached;

    // Act
    gates[0]!.release();
    const a = await runA;
    gates[1]!.release();
    await runB;
    await drain(runner, nudges, clock);

    // Assess
    expect(a).toMatchObject({ kind: 'dropped' });
    expect(await tasks.get('analysis')).toMatchObject({ state: 'COMPLETED', requeued: 15, skipped: 0, pages: 2 });
  });

  it('drops a duplicate or superseded nudge without touching the task', async () => {
    // Prepare
    const { clock, store, tasks, nudges, runner } = setup({ pageSize: 10 });
    await deadJobs(store, 25);
    await requestTask(tasks, nudges, clock, 25);
    const first = nudges.take()!;
    await runner.handle(first, () => 60_000);
    const after = await tasks.get('analysis');

    // Act
    const duplicate = await runner.handle(first, () => 60_000);

    // Assess
    expect(duplicate).toMatchObject({ kind: 'dropped' });
    expect(await tasks.get('analysis')).toEqual(after);
  });

  it('hands on between runs: each run stops with time kept back and records then sends its successor', async () => {
    // Prepare: each run has time for one page only
    const { clock, store, tasks, nudges, runner } = setup({ pageSize: 10 });
    await deadJobs(store, 25);
    await requestTask(tasks, nudges, clock, 25);
    let budget = 0;
    const remaining = () => (budget-- > 0 ? 60_000 : 0);

    // Act
    budget = 1;
    const outcome = await runner.handle(nudges.take()!, remaining);

    // Assess
    expect(outcome).toMatchObject({ kind: 'continued', task: { pages: 1, requeued: 10 } });
    expect(nudges.sent).toHaveLength(1);
    expect((await tasks.get('analysis'))?.nudge).toBe(nudges.sent[0]!.nudge.nudge);
  });

  it('takes over a task whose next nudge was never sent, once it has stood still past the stall time', async () => {
    // Prepare: a run handed on (recorded its successor) but died before sending it
    const { clock, store, tasks, nudges, runner } = setup({ pageSize: 10 });
    await deadJobs(store, 25);
    await requestTask(tasks, nudges, clock, 25);
    const first = nudges.take()!;
    let budget = 1;
    await runner.handle(first, () => (budget-- > 0 ? 60_000 : 0));
    nudges.sent.length = 0;

    // Act
    const early = await runner.handle(first, () => 60_000);
    clock.advance(runner.settings.stallMs + 1);
    await nudges.send(first);
    await drain(runner, nudges, clock);

    // Assess
    expect(early).toMatchObject({ kind: 'dropped' });
    expect(await tasks.get('analysis')).toMatchObject({ state: 'COMPLETED', requeued: 25 });
  });

  it('leaves a job that died after the task began, and one that died again after this task put it back', async () => {
    // Prepare
    const { clock, store, tasks, nudges, runner } = setup({ pageSize: 10 });
    const [old] = await deadJobs(store, 1);
    await requestTask(tasks, nudges, clock, 2);
    clock.advance(5);
    const [fresh] = await deadJobs(store, 1, clock.now().toISOString());
    // The old one was put back by this task and died again
    clock.advance(5);
    await store.transition({ jobId: old!.jobId, from: ['DEAD'], to: 'DEAD', set: { redrivenAt: clock.now().toISOString(), finishedAt: clock.now().toISOString() } });

    // Act
    await drain(runner, nudges, clock);

    // Assess
    expect(await tasks.get('analysis')).toMatchObject({ state: 'COMPLETED', requeued: 0, skipped: 2 });
    expect(await store.get(old!.jobId)).toMatchObject({ status: 'DEAD' });
    expect(await store.get(fresh!.jobId)).toMatchObject({ status: 'DEAD' });
  });

  it('tries a move that will not start again, then fails the task saying why', async () => {
    // Prepare
    const { clock, store, tasks, nudges, moves, runner } = setup({ pageSize: 10 });
    await deadJobs(store, 3);
    await requestTask(tasks, nudges, clock, 3);
    moves.startFailures = 100;

    // Act
    await drain(runner, nudges, clock);

    // Assess
    const task = await tasks.get('analysis');
    expect(task).toMatchObject({ state: 'FAILED', requeued: 3, failures: 1, move: { startFailures: runner.settings.maxStartFailures }, error: expect.stringContaining('could not be started') });
  });

  it('does not take the previous task\'s move, finished a moment before, for its own', async () => {
    // Prepare: the DLQ's last move started within the same second as this task's
    const { clock, store, tasks, nudges, moves, runner } = setup({ pageSize: 10, dead: 2 });
    await deadJobs(store, 2);
    moves.finishedBefore(clock.now().toISOString(), 7);
    await requestTask(tasks, nudges, clock, 2);

    // Act
    await drain(runner, nudges, clock);

    // Assess
    expect(moves.starts).toBe(1);
    expect(await tasks.get('analysis')).toMatchObject({ state: 'COMPLETED', move: { moved: 2, toMove: 2 } });
  });

  it('recognises the move it started when its run died before recording it, and starts no second one', async () => {
    // Prepare: the run dies after StartMessageMoveTask, at the write that records the move
    const { clock, store, tasks, nudges, moves, runner } = setup({ pageSize: 10, dead: 2, looks: 3 });
    await deadJobs(store, 2);
    await requestTask(tasks, nudges, clock, 2);
    const update = tasks.update.bind(tasks);
    tasks.update = async (queue, expect, changes, remove) => {
      if (changes.move?.startedAt && moves.starts === 1 && !(await tasks.get(queue))?.move?.startedAt) throw new Error('consumer died');
      return update(queue, expect, changes, remove);
    };
    const first = nudges.take()!;
    const died = await runner.handle(first, () => 60_000).catch((error: unknown) => error);

    // Act: its nudge comes back once the lease has run out
    tasks.update = update;
    clock.advance(runner.settings.leaseMs + 1);
    await nudges.send(first);
    await drain(runner, nudges, clock);

    // Assess
    expect(died).toBeInstanceOf(Error);
    expect(moves.starts).toBe(1);
    expect(await tasks.get('analysis')).toMatchObject({ state: 'COMPLETED', requeued: 2, failures: 0, move: { status: 'COMPLETED', moved: 2 } });
  });

  it('fails the task when the move fails, with its reason', async () => {
    // Prepare
    const { clock, store, tasks, nudges, runner } = setup({ pageSize: 10, fail: true, dead: 2 });
    await deadJobs(store, 2);
    await requestTask(tasks, nudges, clock, 2);

    // Act
    await drain(runner, nudges, clock);

    // Assess
    expect(await tasks.get('analysis')).toMatchObject({ state: 'FAILED', move: { status: 'FAILED', failureReason: 'AccessDenied' }, error: expect.stringContaining('AccessDenied') });
  });
});
