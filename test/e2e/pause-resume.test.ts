import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import type { JobHandlers } from '../../functions/jobs/index.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** Jobs whose toolId starts with `slow` wait for the gate, so a test can see one running by construction. */
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => (openGate = resolve));
const started: string[] = [];
const handlers: Partial<JobHandlers> = {
  analysis: async (payload) => {
    started.push(payload.toolId);
    if (payload.toolId.startsWith('slow')) await gate;
    return { toolId: payload.toolId };
  },
};

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
const dir = mkdtempSync(join(tmpdir(), 'conveyor-pause-'));
let api: ApiClient;
let lambda: LambdaClient;

beforeAll(async () => {
  api = await bootLocalCloud({ dataDir: dir, handlers });
  lambda = new LambdaClient({ region: 'us-east-1', endpoint: api.cloud.endpoints.lambda, credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  openGate();
  lambda?.destroy();
  await api?.cloud.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The State of each of a type's event source mappings, read through the real Lambda SDK client. */
async function mappingStates(type: string): Promise<string[]> {
  const uuids = api.cloud.config.CONVEYOR_EVENT_SOURCE_MAPPINGS?.[type] ?? [];
  return Promise.all(uuids.map(async (UUID) => (await lambda.send(new GetEventSourceMappingCommand({ UUID }))).State ?? '?'));
}

async function visibleMessages(queueKey: string): Promise<number> {
  const url = api.cloud.config.CONVEYOR_QUEUE_URLS[queueKey]!;
  const sqs = createSqsClient({ region: 'us-east-1', endpoints: { sqs: api.cloud.endpoints.sqs }, credentials: LOCAL_CREDENTIALS });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }));
  sqs.destroy();
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0);
}

const overviewOf = async (type: string) => ((await api.request('GET', '/v1/queues')).body.queues as { type: string; paused: boolean; pausedAt: string | null; pausedBy: string | null }[]).find((q) => q.type === type)!;

describe('E2E: pausing and resuming a job type', { timeout: 60_000 }, () => {
  it('lets a running job finish, keeps new jobs QUEUED in every lane while paused, and runs them after resume', async () => {
    // Prepare: a job running (held by the gate) when the pause comes.
    const running = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'slow-1' }) } });
    await eventually(async () => (started.includes('slow-1') ? true : undefined), 20_000, 'slow-1 started');

    // Act: pause while it runs.
    const paused = await api.request('POST', '/v1/queues/analysis/pause');

    // Assess: answered at once (the running job still holds its poller), recorded, shown in the overview.
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ type: 'analysis', paused: true, pausedBy: 'local-dev' });
    expect(Date.parse(paused.body.pausedAt)).not.toBeNaN();
    expect(await overviewOf('analysis')).toMatchObject({ paused: true, pausedAt: paused.body.pausedAt, pausedBy: 'local-dev' });
    expect(await overviewOf('email')).toMatchObject({ paused: false, pausedAt: null, pausedBy: null });
    expect(await mappingStates('analysis')).toContain('Disabling');

    // Act: the running job is not interrupted.
    openGate();
    const finished = await api.waitForStatus(running.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'], 20_000);

    // Assess
    expect(finished.status).toBe('SUCCEEDED');
    // Every lane (normal, high, low) is Disabled once its last invocation ended: no poller is left.
    await eventually(async () => ((await mappingStates('analysis')).every((s) => s === 'Disabled') ? true : undefined), 20_000, 'all analysis mappings Disabled');
    expect(await mappingStates('analysis')).toHaveLength(3);

    // Act: enqueue on two lanes while paused.
    const normal = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'while-paused' }) } });
    const high = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'while-paused-high', priority: 'high' }) } });

    // Assess: accepted, and waiting in their queues with no poller to take them.
    expect([normal.status, high.status]).toEqual([202, 202]);
    expect(await visibleMessages('analysis')).toBe(1);
    expect(await visibleMessages('analysis:high')).toBe(1);
    expect((await api.request('GET', `/v1/jobs/${normal.body.jobId}`)).body.status).toBe('QUEUED');
    expect((await api.request('GET', `/v1/jobs/${high.body.jobId}`)).body.status).toBe('QUEUED');
    expect(started).not.toContain('while-paused');

    // Act
    const resumed = await api.request('POST', '/v1/queues/analysis/resume');

    // Assess
    expect(resumed.status).toBe(200);
    expect(resumed.body).toEqual({ type: 'analysis', paused: false });
    expect((await api.waitForStatus(normal.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000)).status).toBe('SUCCEEDED');
    expect((await api.waitForStatus(high.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000)).status).toBe('SUCCEEDED');
    expect(await overviewOf('analysis')).toMatchObject({ paused: false, pausedAt: null });
    expect(await mappingStates('analysis')).toEqual(['Enabled', 'Enabled', 'Enabled']);
  });

  it('keeps the first pause time when a paused type is paused again', async () => {
    // Prepare
    const first = await api.request('POST', '/v1/queues/email/pause');

    // Act
    const again = await api.request('POST', '/v1/queues/email/pause');

    // Assess
    expect(again.status).toBe(200);
    expect(again.body.pausedAt).toBe(first.body.pausedAt);
    await api.request('POST', '/v1/queues/email/resume');
  });

  it('needs the operator scope, and a known job type', async () => {
    // Act
    const withoutOperator = await api.request('POST', '/v1/queues/analysis/pause', { key: 'cvk_local_other' });
    const unknown = await api.request('POST', '/v1/queues/sms/pause');

    // Assess
    expect(withoutOperator.status).toBe(403);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('unknown job type "sms"');
    expect((await overviewOf('analysis')).paused).toBe(false);
  });

  it('stays paused across a restart of the local cloud, as a disabled mapping does on AWS', async () => {
    // Prepare
    await api.request('POST', '/v1/queues/pdf/pause');
    await api.cloud.stop();

    // Act
    api = await bootLocalCloud({ dataDir: dir, handlers });
    lambda.destroy();
    lambda = new LambdaClient({ region: 'us-east-1', endpoint: api.cloud.endpoints.lambda, credentials: LOCAL_CREDENTIALS });

    // Assess
    expect(await mappingStates('pdf')).toEqual(['Disabled']);
    expect(api.cloud.mappings.pdf.enabled).toBe(false);
    expect(api.cloud.mappings.analysis.enabled).toBe(true);
    expect((await overviewOf('pdf')).paused).toBe(true);
    await api.request('POST', '/v1/queues/pdf/resume');
    expect(api.cloud.mappings.pdf.enabled).toBe(true);
  });
});
