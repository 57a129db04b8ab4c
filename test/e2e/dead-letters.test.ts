import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually, faultyHandler } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';
import { JOB_TYPES } from '../../shared/jobs/registry.js';

const OTHER_KEY = 'cvk_local_other'; // tenant "other", scope jobs only
const analysis = faultyHandler(analysisHandler);
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({ handlers: { analysis: analysis.handler } });
});

afterAll(async () => {
  await api?.cloud.stop();
});

async function dlq(type = 'analysis') {
  const response = await api.request('GET', `/v1/queues/${type}/dlq`);
  expect(response.status).toBe(200);
  return response.body;
}

/** The redrive task once it has finished (COMPLETED or FAILED), read as an operator would poll it. */
async function finishedRedrive(taskId: string, type = 'analysis') {
  return eventually(async () => {
    const status = await api.request('GET', `/v1/queues/${type}/redrive`);
    expect(status.status).toBe(200);
    const task = status.body.task;
    return task?.taskId === taskId && (task.state === 'COMPLETED' || task.state === 'FAILED') ? task : undefined;
  }, 20_000, `redrive task ${taskId} finished`);
}

describe('E2E: a failing job lands in the DLQ, is listed, redriven, and succeeds once the fault is gone', () => {
  let jobId: string;

  it('fails every attempt until the job is DEAD and its message is in the DLQ', async () => {
    // Prepare
    analysis.fault.failing = true;

    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'dlq-1' }) } });
    jobId = posted.body.jobId;
    const dead = await api.waitForStatus(jobId, ['DEAD', 'SUCCEEDED', 'FAILED'], 30_000);

    // Assess
    expect(dead).toMatchObject({ status: 'DEAD', attempt: 3, error: { code: 'INJECTED_FAULT' } });
    expect(analysis.runs.get(jobId)).toBe(3);
    const listed = await eventually(async () => {
      const body = await dlq();
      return body.dlq.visible === 1 ? body : undefined;
    }, 20_000, 'message in the DLQ');
    expect(listed).toMatchObject({ type: 'analysis', deadJobs: 1, unmatchedMessages: 0 });
    expect(listed.jobs).toHaveLength(1);
    expect(listed.jobs[0]).toMatchObject({ jobId, tenant: 'dev', status: 'DEAD', attempt: 3, maxAttempts: 3, error: { code: 'INJECTED_FAULT', message: expect.stringContaining('injected fault') } });
  });

  it('lists the DLQ without consuming it: the message is still there after several listings', async () => {
    // Act
    for (let i = 0; i < 3; i++) await dlq();
    const after = await dlq();

    // Assess
    expect(after.dlq).toMatchObject({ visible: 1, inFlight: 0 });
    expect(after.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([jobId]);
  });

  it('shows the DLQ depth and the dead job in the queue overview', async () => {
    const overview = await api.request('GET', '/v1/queues');
    expect(overview.status).toBe(200);
    const row = overview.body.queues.find((q: { type: string }) => q.type === 'analysis');
    expect(row).toMatchObject({ dlq: { visible: 1 }, queue: { visible: 0 }, counts: { DEAD: 1 }, maxAttempts: 3 });
    expect(overview.body.queues.map((q: { type: string }) => q.type).sort()).toEqual([...JOB_TYPES].sort());
  });

  it('redrives it once the fault is removed: QUEUED with attempts reset, then exactly one more run, SUCCEEDED', async () => {
    // Prepare
    analysis.fault.failing = false;

    // Act
    const redrive = await api.request('POST', '/v1/queues/analysis/redrive');

    // Assess: accepted at once, as a task the redrive consumer carries out
    expect(redrive.status).toBe(202);
    expect(redrive.headers.get('location')).toBe('/v1/queues/analysis/redrive');
    expect(redrive.body).toMatchObject({ type: 'analysis', taskId: expect.any(String), resumed: false, task: { state: 'REQUEUEING', deadJobs: 1, dlqMessages: 1, requeued: 0 } });
    const task = await finishedRedrive(redrive.body.taskId);
    // The job was DEAD before the task began: only a status other than DEAD says it ran again.
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED'], 20_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1, redriveCount: 1, result: { toolId: 'dlq-1' } });
    expect(done.error).toBeUndefined();
    expect(task).toMatchObject({ state: 'COMPLETED', requeued: 1, skipped: 0, failures: 0, move: { status: 'COMPLETED', moved: 1, toMove: 1 } });
    expect(analysis.runs.get(jobId)).toBe(4);
    const empty = await dlq();
    expect(empty).toMatchObject({ dlq: { visible: 0, inFlight: 0 }, deadJobs: 0, jobs: [] });
  });

  it('runs the redriven job exactly once: a second redrive finds nothing and the run count stays', async () => {
    // Act
    const again = await api.request('POST', '/v1/queues/analysis/redrive');
    const task = await finishedRedrive(again.body.taskId);

    // Assess
    expect(again.status).toBe(202);
    expect(again.body.task).toMatchObject({ deadJobs: 0, dlqMessages: 0 });
    expect(task).toMatchObject({ state: 'COMPLETED', requeued: 0, move: { moved: 0 } });
    expect(analysis.runs.get(jobId)).toBe(4);
    expect(await api.request('GET', `/v1/jobs/${jobId}`)).toMatchObject({ body: { status: 'SUCCEEDED', attempt: 1 } });
  });
});

describe('E2E: selective retry of one DEAD or FAILED job', () => {
  it('retries a DEAD job by id; its old DLQ copy, redriven later, changes nothing', async () => {
    // Prepare: a job that dies
    analysis.fault.failing = true;
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'old-payload' }) } });
    const jobId = posted.body.jobId as string;
    await api.waitForStatus(jobId, ['DEAD'], 30_000);
    await eventually(async () => ((await dlq()).dlq.visible === 1 ? true : undefined), 20_000, 'message in the DLQ');
    analysis.fault.failing = false;

    // Act: retry with an edited payload
    const retried = await api.request('POST', `/v1/jobs/${jobId}/retry`, { body: { payload: analysisPayload({ toolId: 'new-payload' }) } });
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'DEAD', 'FAILED'], 20_000);

    // Assess
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ jobId, status: 'QUEUED', attempt: 0, retryCount: 1, tenant: 'dev' });
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: { toolId: 'new-payload' }, payload: { toolId: 'new-payload' } });
    // The old message is still in the DLQ, but no DEAD record accounts for it.
    const listed = await dlq();
    expect(listed).toMatchObject({ dlq: { visible: 1 }, deadJobs: 0, unmatchedMessages: 1, jobs: [] });

    // Act: redrive the stale copy back
    const deletedBefore = api.cloud.mappings.analysis.stats.deleted;
    const redrive = await api.request('POST', '/v1/queues/analysis/redrive');
    await eventually(async () => ((await dlq()).dlq.visible === 0 ? true : undefined), 20_000, 'DLQ drained');
    // The stale copy was delivered and acknowledged (deleted) by the worker.
    await eventually(async () => (api.cloud.mappings.analysis.stats.deleted > deletedBefore ? true : undefined), 20_000, 'stale copy acknowledged');

    // Assess: the record still holds the retry's outcome (the stale copy with the old payload recorded nothing)
    expect(redrive.body.task).toMatchObject({ deadJobs: 0, dlqMessages: 1 });
    expect(await finishedRedrive(redrive.body.taskId)).toMatchObject({ state: 'COMPLETED', requeued: 0, move: { moved: 1 } });
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: { toolId: 'new-payload' } });
  });

  it('retries a FAILED job, and refuses an edited payload that breaks the schema', async () => {
    // Prepare: a report on an analysis job that does not exist ends FAILED (ANALYSIS_NOT_FOUND) at once
    const missingAnalysis = { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } };
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: missingAnalysis } });
    const jobId = posted.body.jobId as string;
    await api.waitForStatus(jobId, ['FAILED']);

    // Act
    const invalid = await api.request('POST', `/v1/jobs/${jobId}/retry`, { body: { payload: { kind: 'poster', data: {} } } });
    const unknownField = await api.request('POST', `/v1/jobs/${jobId}/retry`, { body: { payload: missingAnalysis, priority: 1 } });
    const retried = await api.request('POST', `/v1/jobs/${jobId}/retry`);
    const again = await api.waitForStatus(jobId, ['FAILED', 'SUCCEEDED'], 20_000);

    // Assess
    expect(invalid).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', issues: [{ path: 'payload.kind' }] } } });
    expect(unknownField).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', issues: [{ path: 'priority' }] } } });
    expect(retried).toMatchObject({ status: 202, body: { status: 'QUEUED', retryCount: 1 } });
    expect(again).toMatchObject({ status: 'FAILED', retryCount: 1, error: { code: 'ANALYSIS_NOT_FOUND' } });
  });

  it('answers 409 for a job that is not DEAD or FAILED, 404 for an unknown one', async () => {
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload() } });
    await api.waitForStatus(posted.body.jobId, ['SUCCEEDED']);

    const conflict = await api.request('POST', `/v1/jobs/${posted.body.jobId}/retry`);
    const missing = await api.request('POST', '/v1/jobs/00000000-0000-4000-8000-000000000000/retry');
    const malformed = await api.request('POST', '/v1/jobs/not-an-id/retry');

    expect(conflict).toMatchObject({ status: 409, body: { error: { code: 'NOT_RETRYABLE', message: expect.stringContaining('SUCCEEDED') } } });
    expect(missing).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(malformed.status).toBe(404);
  });
});

describe('E2E: operator endpoints refuse non-admin keys and bad input', () => {
  it('answers 403 to a key without the admin scope, 401 without a key', async () => {
    const calls: [string, string][] = [
      ['GET', '/v1/queues'],
      ['GET', '/v1/queues/analysis/dlq'],
      ['POST', '/v1/queues/analysis/redrive'],
      ['GET', '/v1/queues/analysis/redrive'],
      ['POST', '/v1/jobs/00000000-0000-4000-8000-000000000000/retry'],
    ];
    for (const [method, path] of calls) {
      expect(await api.request(method, path, { key: OTHER_KEY })).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN' } } });
      expect((await api.request(method, path, { key: null })).status).toBe(401);
    }
  });

  it('names the wrong parameter', async () => {
    expect(await api.request('GET', '/v1/queues/nope/dlq')).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.stringContaining('analysis, email, pdf') } } });
    expect(await api.request('POST', '/v1/queues/nope/redrive')).toMatchObject({ status: 404 });
    expect(await api.request('GET', '/v1/queues/analysis/dlq?limit=0')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'query.limit' }] } } });
    expect(await api.request('GET', '/v1/queues/analysis/dlq?cursor=%%%')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'cursor' }] } } });
    expect(await api.request('GET', '/v1/queues?windowMinutes=abc')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'query.windowMinutes' }] } } });
    expect(await api.request('GET', '/v1/queues?window=5')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'query.window' }] } } });
    expect(await api.request('POST', '/v1/jobs/00000000-0000-4000-8000-000000000000/retry', { rawBody: '{"payload":', headers: {} })).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON' } } });
    expect(await api.request('POST', '/v1/jobs/00000000-0000-4000-8000-000000000000/retry', { rawBody: 'x', headers: { 'content-type': 'text/plain' } })).toMatchObject({ status: 415 });
  });
});
