import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import { seedDeadJobs } from '../../local/seed-dead-jobs.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually, faultyHandler } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

const JOBS = 600;
const analysis = faultyHandler(analysisHandler);
/** The consumer dies once, before putting back the 250th job it reaches (mid-page: pages are 100). */
let reached = 0;
let died = 0;
let api: ApiClient;
let seeded: JobRecord[];

beforeAll(async () => {
  analysis.fault.failing = false;
  api = await bootLocalCloud({
    handlers: { analysis: analysis.handler },
    // Short runs (5 s, handing on with 1.5 s left); a nudge whose run died comes back after 6 s and
    // finds the dead run's lease (6 s from its last checkpoint) run out, or soon after.
    redrive: { timeoutSeconds: 5, visibilityTimeoutSeconds: 6, settings: { leaseMs: 6_000, stallMs: 20_000, reserveMs: 1_500, moveCheckSeconds: 1 } },
    faults: { redriveDies: () => ++reached === 250 && ++died === 1 },
  });
  seeded = await seedDeadJobs(api.cloud, { type: 'analysis', count: JOBS, payload: (i) => analysisPayload({ toolId: `seeded-${i}` }) });
}, 120_000);

afterAll(async () => {
  await api?.cloud.stop();
});

describe('E2E: a redrive task of 600 dead jobs survives its consumer dying mid-page', () => {
  it('lists the seeded dead jobs and their DLQ messages', async () => {
    const listing = await eventually(async () => {
      const body = (await api.request('GET', '/v1/queues/analysis/dlq')).body;
      return body.dlq.visible === JOBS ? body : undefined;
    }, 30_000, 'seeded messages in the DLQ');
    expect(listing).toMatchObject({ deadJobs: JOBS, unmatchedMessages: 0 });
  });

  it('is accepted at once, resumes after the crash, puts every job back once and moves every message: each job runs exactly once', async () => {
    // Act
    const accepted = await api.request('POST', '/v1/queues/analysis/redrive');
    const progress: { state: string; requeued: number; moved: number }[] = [];
    const task = await eventually(async () => {
      const { body } = await api.request('GET', '/v1/queues/analysis/redrive');
      const seen = body.task;
      if (seen) progress.push({ state: seen.state, requeued: seen.requeued, moved: seen.move?.moved ?? 0 });
      return seen?.state === 'COMPLETED' || seen?.state === 'FAILED' ? seen : undefined;
    }, 90_000, 'redrive task finished');
    await eventually(async () => (seeded.every((job) => analysis.runs.has(job.jobId)) ? true : undefined), 90_000, 'every redriven job ran');
    const done = await eventually(async () => {
      const statuses = await Promise.all(seeded.map(async (job) => (await api.request('GET', `/v1/jobs/${job.jobId}`)).body.status));
      return statuses.every((status) => status === 'SUCCEEDED') ? statuses : undefined;
    }, 30_000, 'every redriven job SUCCEEDED');

    // Assess
    expect(accepted).toMatchObject({ status: 202, body: { taskId: expect.any(String), task: { state: 'REQUEUEING', deadJobs: JOBS, dlqMessages: JOBS, requeued: 0 } } });
    expect(died).toBe(1);
    expect(task).toMatchObject({ taskId: accepted.body.taskId, state: 'COMPLETED', requeued: JOBS, skipped: 0, failures: 0, move: { status: 'COMPLETED', moved: JOBS, toMove: JOBS } });
    // Progress was visible on the way, and never went backwards.
    expect(progress.some((p) => p.state === 'REQUEUEING' && p.requeued > 0 && p.requeued < JOBS)).toBe(true);
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.requeued).toBeGreaterThanOrEqual(progress[i - 1]!.requeued);
    expect(done).toHaveLength(JOBS);
    for (const job of seeded) expect(analysis.runs.get(job.jobId), job.jobId).toBe(1);
    const sample = (await api.request('GET', `/v1/jobs/${seeded[0]!.jobId}`)).body;
    expect(sample).toMatchObject({ status: 'SUCCEEDED', attempt: 1, redriveCount: 1 });
    expect(await api.request('GET', '/v1/queues/analysis/dlq')).toMatchObject({ body: { dlq: { visible: 0, inFlight: 0 }, deadJobs: 0 } });
  }, 200_000);

  it('refuses a second redrive of the queue while one is active, and shows the task in the overview', async () => {
    // Prepare: the redrive consumer is stopped, so the task stays active until it is started again
    await api.cloud.lanes.redrive!.stop();
    await seedDeadJobs(api.cloud, { type: 'analysis', count: 1, payload: () => analysisPayload({ toolId: 'late' }) });

    // Act
    const first = await api.request('POST', '/v1/queues/analysis/redrive');
    const second = await api.request('POST', '/v1/queues/analysis/redrive');
    const overview = await api.request('GET', '/v1/queues');
    api.cloud.lanes.redrive!.start();
    const finished = await eventually(async () => {
      const { body } = await api.request('GET', '/v1/queues/analysis/redrive');
      return body.task?.state === 'COMPLETED' ? body.task : undefined;
    }, 60_000, 'the first task finished');

    // Assess
    expect(first).toMatchObject({ status: 202, body: { task: { state: 'REQUEUEING', deadJobs: 1 } } });
    expect(second).toMatchObject({ status: 409, body: { error: { code: 'REDRIVE_IN_PROGRESS' } } });
    const row = overview.body.queues.find((q: { type: string }) => q.type === 'analysis');
    expect(row.redrive).toMatchObject({ taskId: first.body.taskId, state: 'REQUEUEING', deadJobs: 1 });
    expect(row.redrive).not.toHaveProperty('nudge');
    expect(finished).toMatchObject({ taskId: first.body.taskId, requeued: 1, move: { moved: 1 } });
  }, 90_000);

  it('puts a paused type\'s dead jobs back and moves their messages: they wait in its queue and run once on resume', async () => {
    // Prepare: the type's consumer is paused (its event source mapping disabled), not the redrive consumer
    const paused = await api.request('POST', '/v1/queues/analysis/pause');
    const dead = await seedDeadJobs(api.cloud, { type: 'analysis', count: 3, payload: (i) => analysisPayload({ toolId: `paused-${i}` }) });

    // Act
    const accepted = await api.request('POST', '/v1/queues/analysis/redrive');
    const task = await eventually(async () => {
      const { body } = await api.request('GET', '/v1/queues/analysis/redrive');
      return body.task?.taskId === accepted.body.taskId && (body.task.state === 'COMPLETED' || body.task.state === 'FAILED') ? body.task : undefined;
    }, 60_000, 'the paused type\'s redrive finished');
    const waiting = await Promise.all(dead.map(async (job) => (await api.request('GET', `/v1/jobs/${job.jobId}`)).body.status));
    const queue = await eventually(async () => {
      const row = (await api.request('GET', '/v1/queues')).body.queues.find((q: { type: string }) => q.type === 'analysis');
      return row.queue.visible === dead.length ? row : undefined;
    }, 30_000, 'the moved messages visible in the paused queue');
    const ranWhilePaused = dead.filter((job) => analysis.runs.has(job.jobId));
    await api.request('POST', '/v1/queues/analysis/resume');
    const statuses = await eventually(async () => {
      const all = await Promise.all(dead.map(async (job) => (await api.request('GET', `/v1/jobs/${job.jobId}`)).body.status));
      return all.every((status) => status === 'SUCCEEDED') ? all : undefined;
    }, 60_000, 'the redriven jobs ran after resume');

    // Assess
    expect(paused).toMatchObject({ status: 200, body: { paused: true } });
    expect(task).toMatchObject({ state: 'COMPLETED', requeued: 3, failures: 0, move: { status: 'COMPLETED', moved: 3 } });
    expect(waiting).toEqual(['QUEUED', 'QUEUED', 'QUEUED']);
    expect(queue).toMatchObject({ paused: true, dlq: { visible: 0 } });
    expect(ranWhilePaused).toEqual([]);
    expect(statuses).toHaveLength(3);
    for (const job of dead) expect(analysis.runs.get(job.jobId), job.jobId).toBe(1);
  }, 120_000);
});
