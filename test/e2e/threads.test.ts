import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/scheduler.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

// `npm start` runs local DynamoDB, local SQS and the API in worker threads (the consumers and the
// scheduler stay in the main thread); these pin that the split changes nothing a client sees.
const clock = new ManualClock(Date.now());
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({ threads: true, clock });
});

afterAll(async () => {
  await api?.cloud.stop();
});

describe('E2E: the local cloud with its servers and API in worker threads', () => {
  it('runs DynamoDB, SQS and the API each in a thread of its own', () => {
    // Assess
    expect(api.cloud.threads.map((t) => t.name).sort()).toEqual(['api', 'dynamodb', 'sqs']);
  });

  it('runs a job end to end: the API thread enqueues, the main thread consumes', async () => {
    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload() } });
    const done = await api.waitForStatus(posted.body.jobId as string, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(posted.status).toBe(202);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
  });

  it('hands a job due beyond SQS\'s 15-minute delay to the scheduler in the main thread, which releases it', async () => {
    // Prepare
    const runAt = new Date(clock.now() + 20 * 60_000);

    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), runAt: runAt.toISOString() } });
    const held = api.cloud.scheduler.pendingReleases.find((r) => r.jobId === posted.body.jobId);
    clock.set(runAt.getTime() + 1);
    const done = await api.waitForStatus(posted.body.jobId as string, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(posted.status).toBe(202);
    expect(held?.at.toISOString()).toBe(runAt.toISOString());
    expect(done).toMatchObject({ status: 'SUCCEEDED' });
  });

  it('serves the dashboard from the API thread', async () => {
    // Act
    const page = await fetch(api.cloud.dashboardUrl!);

    // Assess
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
  });
});
