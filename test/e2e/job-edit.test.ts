import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import type { JobHandlers } from '../../functions/jobs/index.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** Every handler run, by toolId; a toolId starting with `slow` waits for the gate (a job seen RUNNING by construction). */
const runs = new Map<string, number>();
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));
const handlers: Partial<JobHandlers> = {
  analysis: async (payload) => {
    runs.set(payload.toolId, (runs.get(payload.toolId) ?? 0) + 1);
    if (payload.toolId.startsWith('slow')) await gate;
    return { toolId: payload.toolId, description: payload.description };
  },
};
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({ handlers });
});

afterAll(async () => {
  openGate();
  await api?.cloud.stop();
});

async function messagesIn(queueKey: string): Promise<number> {
  const sqs = createSqsClient({ region: 'us-east-1', endpoints: { sqs: api.cloud.endpoints.sqs }, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: api.cloud.config.CONVEYOR_QUEUE_URLS[queueKey]!, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] }));
  sqs.destroy();
  return (['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const).reduce((sum, name) => sum + Number(Attributes?.[name] ?? 0), 0);
}

async function pause(type: string): Promise<void> {
  await api.request('POST', `/v1/queues/${type}/pause`);
  await eventually(async () => (Object.entries(api.cloud.lanes).filter(([key]) => key === type || key.startsWith(`${type}:`)).every(([, m]) => !m.enabled && m.stats.inFlight === 0) ? true : undefined), 20_000, `${type} paused`);
}

const enqueue = async (body: Record<string, unknown>) => (await api.request('POST', '/v1/jobs', { body: { type: 'analysis', ...body } })).body.jobId as string;

describe('E2E: PATCH /v1/jobs/{id} — edit a job that has not started', { timeout: 60_000 }, () => {
  it('changes the payload and the priority of a waiting job: it runs once, with the edit, from the new priority’s queue', async () => {
    // Prepare: the job waits (its type paused) in the normal queue.
    await pause('analysis');
    const jobId = await enqueue({ payload: analysisPayload({ toolId: 'edit-1', description: 'Before the edit.' }) });
    const highBefore = api.cloud.lanes['analysis:high']!.stats.records;

    // Act
    const edited = await api.request('PATCH', `/v1/jobs/${jobId}`, { body: { payload: analysisPayload({ toolId: 'edit-1', description: 'After the edit.' }), priority: 'high' } });

    // Assess: the record and a new message on the high queue; the old message still in the normal one.
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ jobId, status: 'QUEUED', priority: 'high', payload: { description: 'After the edit.' } });
    expect(await messagesIn('analysis:high')).toBe(1);
    expect(await messagesIn('analysis')).toBe(1);

    // Act
    await api.request('POST', '/v1/queues/analysis/resume');
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000);

    // Assess: one run, with the edited payload, from the high lane; the old message acknowledged without a run.
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: { description: 'After the edit.' } });
    expect(runs.get('edit-1')).toBe(1);
    expect(api.cloud.lanes['analysis:high']!.stats.records).toBe(highBefore + 1);
    await eventually(async () => ((await messagesIn('analysis')) === 0 ? true : undefined), 20_000, 'old message acknowledged');
    expect(runs.get('edit-1')).toBe(1);
  });

  it('moves runAt: a job delayed 10 minutes runs now, once; one due now is held for an hour and its old message does not run it', async () => {
    // Act: bring a delayed job forward.
    const later = await enqueue({ delaySeconds: 600, payload: analysisPayload({ toolId: 'edit-sooner' }) });
    const sooner = await api.request('PATCH', `/v1/jobs/${later}`, { body: { runAt: new Date().toISOString() } });
    const ran = await api.waitForStatus(later, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000);

    // Assess
    expect(sooner.status).toBe(200);
    expect(sooner.body.runAt).toBeUndefined();
    expect(ran.status).toBe('SUCCEEDED');
    expect(runs.get('edit-sooner')).toBe(1);

    // Prepare: a job due now waits (its type paused) in the queue.
    await pause('analysis');
    const soon = await enqueue({ payload: analysisPayload({ toolId: 'edit-later' }) });
    const deletedBefore = api.cloud.lanes.analysis!.stats.deleted;

    // Act: push it back by an hour (beyond SQS's delay: held by the scheduler), then let its old message be received.
    const runAt = new Date(Date.now() + 3_600_000).toISOString();
    const moved = await api.request('PATCH', `/v1/jobs/${soon}`, { body: { runAt } });
    await api.request('POST', '/v1/queues/analysis/resume');
    // The old message is received, and acknowledged without a run.
    await eventually(async () => (api.cloud.lanes.analysis!.stats.deleted > deletedBefore ? true : undefined), 20_000, 'old message acknowledged');

    // Assess
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ status: 'QUEUED', runAt });
    expect((await api.request('GET', `/v1/jobs/${soon}`)).body.status).toBe('QUEUED');
    expect(runs.get('edit-later')).toBeUndefined();
    expect(api.cloud.scheduler.pendingReleases.map((r) => r.jobId)).toContain(soon);
  });

  it('keeps a ttlSeconds window from the new runAt', async () => {
    // Prepare
    const runAt = new Date(Date.now() + 600_000);
    const jobId = await enqueue({ runAt: runAt.toISOString(), ttlSeconds: 60, payload: analysisPayload({ toolId: 'edit-ttl' }) });

    // Act
    const newRunAt = new Date(runAt.getTime() + 600_000).toISOString();
    const edited = await api.request('PATCH', `/v1/jobs/${jobId}`, { body: { runAt: newRunAt } });

    // Assess
    expect(edited.body).toMatchObject({ runAt: newRunAt, startBy: new Date(Date.parse(newRunAt) + 60_000).toISOString() });
  });

  it('409 JOB_STARTED for a running or finished job, JOB_FINISHED for a cancelled one; the job is unchanged', async () => {
    // Prepare: one running (held by the gate), one SUCCEEDED, one CANCELLED.
    const running = await enqueue({ payload: analysisPayload({ toolId: 'slow-edit' }) });
    // Started, and recorded so: analysis writes RUNNING about a second into a run (lazily).
    await api.waitForStatus(running, ['RUNNING'], 20_000);
    const finished = await enqueue({ payload: analysisPayload({ toolId: 'edit-done' }) });
    await api.waitForStatus(finished, ['SUCCEEDED']);
    const cancelled = await enqueue({ delaySeconds: 600, payload: analysisPayload({ toolId: 'edit-cancelled' }) });
    await api.request('DELETE', `/v1/jobs/${cancelled}`);

    // Act
    const [a, b, c] = (await Promise.all([running, finished, cancelled].map((id) => api.request('PATCH', `/v1/jobs/${id}`, { body: { priority: 'low' } })))) as [Awaited<ReturnType<ApiClient['request']>>, Awaited<ReturnType<ApiClient['request']>>, Awaited<ReturnType<ApiClient['request']>>];
    openGate();

    // Assess
    expect([a.status, a.body.error.code]).toEqual([409, 'JOB_STARTED']);
    expect([b.status, b.body.error.code]).toEqual([409, 'JOB_STARTED']);
    expect([c.status, c.body.error.code]).toEqual([409, 'JOB_FINISHED']);
    expect((await api.waitForStatus(running, ['SUCCEEDED'])).priority).toBe('normal');
    expect(runs.get('slow-edit')).toBe(1);
  });

  it.each([
    ['a payload that fails the schema', 'payload.url', { payload: analysisPayload({ url: 'ftp://x' }) }],
    ['a priority that is not low, normal or high', 'priority', { priority: 'urgent' }],
    ['a runAt in the past', 'runAt', { runAt: '2020-01-01T00:00:00Z' }],
    ['an unknown field', 'ttlSeconds', { ttlSeconds: 5 }],
    ['nothing to change', '(root)', {}],
  ])('400 for %s, naming %s; the job is unchanged', async (_name, path, body) => {
    // Prepare
    const jobId = await enqueue({ delaySeconds: 600, payload: analysisPayload({ toolId: 'edit-400' }) });

    // Act
    const response = await api.request('PATCH', `/v1/jobs/${jobId}`, { body });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path }));
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'QUEUED', payload: { toolId: 'edit-400' } });
  });

  it('400 naming priority for a type without priorities, payload.<field> for an unstorable value; 404 for another tenant’s job', async () => {
    // Prepare
    const pdf = (await api.request('POST', '/v1/jobs', { body: { type: 'pdf', delaySeconds: 600, payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } })).body.jobId as string;
    const mine = await enqueue({ delaySeconds: 600, payload: analysisPayload({ toolId: 'edit-mine' }) });

    // Act
    const priority = await api.request('PATCH', `/v1/jobs/${pdf}`, { body: { priority: 'high' } });
    const unstorable = await api.request('PATCH', `/v1/jobs/${pdf}`, { body: { payload: { kind: 'table-export', data: { columns: ['c0'], rows: [[1e300]] } } } });
    const foreign = await api.request('PATCH', `/v1/jobs/${mine}`, { body: { priority: 'high' }, key: 'cvk_local_other' });

    // Assess
    expect(priority.status).toBe(400);
    expect(priority.body.error.issues).toContainEqual({ path: 'priority', message: 'job type "pdf" has no priorities (its definition does not set priorities: true)' });
    expect(unstorable.status).toBe(400);
    expect(unstorable.body.error.issues[0].path).toMatch(/^payload\./);
    expect(foreign.status).toBe(404);
    expect((await api.request('GET', `/v1/jobs/${mine}`)).body.priority).toBe('normal');
  });
});
