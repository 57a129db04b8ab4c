import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqsClient } from '../../functions/adapters/aws/clients.js';
import type { JobHandlers } from '../../functions/jobs/index.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

const ran: string[] = [];
const handlers: Partial<JobHandlers> = {
  analysis: async (payload) => {
    ran.push(payload.toolId);
    return { toolId: payload.toolId };
  },
};
const webhooks: { path: string; body: Record<string, unknown> }[] = [];
let receiver: Server;
let receiverUrl: string;
let api: ApiClient;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      webhooks.push({ path: request.url ?? '/', body: JSON.parse(body) as Record<string, unknown> });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  api = await bootLocalCloud({ handlers });
});

afterAll(async () => {
  await api?.cloud.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

async function messagesIn(queueKey: string): Promise<number> {
  const sqs = createSqsClient({ region: 'us-east-1', endpoints: { sqs: api.cloud.endpoints.sqs }, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: api.cloud.config.CONVEYOR_QUEUE_URLS[queueKey]!, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
  sqs.destroy();
  return Number(Attributes?.ApproximateNumberOfMessages ?? 0) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

describe('E2E: ttlSeconds — a job not started in time ends EXPIRED without running', { timeout: 60_000 }, () => {
  it('expires a job that waited past its start-by time (its type paused), acknowledges its message, and sends its webhook', async () => {
    // Prepare: nothing runs analysis jobs while they wait.
    await api.request('POST', '/v1/queues/analysis/pause');
    await eventually(async () => (api.cloud.lanes.analysis!.stats.inFlight === 0 && !api.cloud.mappings.analysis.enabled ? true : undefined), 20_000, 'analysis pollers stopped');
    const late = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', ttlSeconds: 1, callbackUrl: `${receiverUrl}/late`, payload: analysisPayload({ toolId: 'ttl-late' }) } });
    const patient = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', ttlSeconds: 3_600, payload: analysisPayload({ toolId: 'ttl-patient' }) } });
    const waiting = (await api.request('GET', `/v1/jobs/${late.body.jobId}`)).body;
    // Its start-by time passes while it waits (a read of the clock, not a timed sleep).
    await eventually(async () => (Date.now() > Date.parse(waiting.startBy) ? true : undefined), 10_000, 'start-by time passed');

    // Act
    await api.request('POST', '/v1/queues/analysis/resume');
    const expired = await api.waitForStatus(late.body.jobId, ['EXPIRED', 'SUCCEEDED', 'FAILED', 'DEAD'], 20_000);
    const succeeded = await api.waitForStatus(patient.body.jobId, ['EXPIRED', 'SUCCEEDED', 'FAILED', 'DEAD'], 20_000);

    // Assess
    expect(late.status).toBe(202);
    expect(waiting).toMatchObject({ status: 'QUEUED' });
    expect(Date.parse(waiting.startBy) - Date.parse(waiting.createdAt)).toBeGreaterThanOrEqual(1_000);
    expect(Date.parse(waiting.startBy) - Date.parse(waiting.createdAt)).toBeLessThan(2_000);
    expect(expired).toMatchObject({ status: 'EXPIRED', attempt: 0, error: { code: 'EXPIRED' }, startBy: waiting.startBy });
    expect(expired.retainUntil).toBeDefined();
    expect(expired.startedAt).toBeUndefined();
    expect(succeeded).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    expect(ran).toContain('ttl-patient');
    expect(ran).not.toContain('ttl-late');
    expect(await messagesIn('analysis')).toBe(0);
    const [hook] = await eventually(async () => (webhooks.some((w) => w.path === '/late') ? webhooks.filter((w) => w.path === '/late') : undefined), 20_000, 'EXPIRED webhook');
    expect(hook!.body).toMatchObject({ event: 'job.finished', jobId: late.body.jobId, status: 'EXPIRED', error: { code: 'EXPIRED' } });
    const overview = (await api.request('GET', '/v1/queues')).body.queues.find((q: { type: string }) => q.type === 'analysis');
    expect(overview.counts.EXPIRED).toBe(1);
    const listed = await api.request('GET', '/v1/jobs?status=EXPIRED');
    expect(listed.body.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([late.body.jobId]);
  });

  it('counts the start-by time from runAt for a delayed job, and cannot be cancelled once EXPIRED', async () => {
    // Act
    const runAt = new Date(Date.now() + 600_000).toISOString();
    const delayed = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', runAt, ttlSeconds: 60, payload: analysisPayload({ toolId: 'ttl-delayed' }) } });
    const view = (await api.request('GET', `/v1/jobs/${delayed.body.jobId}`)).body;
    const expiredJob = (await api.request('GET', '/v1/jobs?status=EXPIRED')).body.jobs[0];
    const cancel = await api.request('DELETE', `/v1/jobs/${expiredJob.jobId}`);

    // Assess
    expect(view).toMatchObject({ status: 'QUEUED', runAt, startBy: new Date(Date.parse(runAt) + 60_000).toISOString() });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('JOB_FINISHED');
  });

  it.each([
    ['zero', 0],
    ['more than 14 days', 14 * 86_400 + 1],
    ['a fraction', 1.5],
    ['a string', '60'],
  ])('400 naming ttlSeconds for %s, and nothing is written', async (_name, ttlSeconds) => {
    // Act
    const response = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', ttlSeconds, payload: analysisPayload({ toolId: `ttl-bad-${String(ttlSeconds)}` }) } });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path: 'ttlSeconds' }));
    const listed = await api.request('GET', '/v1/jobs?limit=100');
    expect(listed.body.jobs.some((j: { payload: { toolId: string } }) => j.payload.toolId === `ttl-bad-${String(ttlSeconds)}`)).toBe(false);
  });
});
