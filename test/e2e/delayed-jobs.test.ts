import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/scheduler.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

const clock = new ManualClock(Date.now());
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({ clock });
});

afterAll(async () => {
  await api?.cloud.stop();
});

const post = (extra: Record<string, unknown>) => api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), ...extra } });

describe('E2E: delayed and scheduled jobs', () => {
  it('delaySeconds holds the job in SQS; the status shows when it is due', async () => {
    // Act
    const before = Date.now();
    const posted = await post({ delaySeconds: 2 });
    const queued = await api.request('GET', `/v1/jobs/${posted.body.jobId}`);
    const done = await api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(posted.status).toBe(202);
    expect(queued.body).toMatchObject({ status: 'QUEUED', runAt: expect.any(String) });
    const runAt = Date.parse(queued.body.runAt as string);
    expect(runAt).toBeGreaterThanOrEqual(before + 2_000);
    expect(done.status).toBe('SUCCEEDED');
    // Never early: SQS kept the message invisible until the delay had passed.
    expect(Date.parse(done.startedAt as string)).toBeGreaterThanOrEqual(runAt - 50);
  });

  it('runAt within 15 minutes becomes an SQS delay', async () => {
    const runAt = new Date(Date.now() + 2_000).toISOString();
    const posted = await post({ runAt });
    const done = await api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);
    expect(done).toMatchObject({ status: 'SUCCEEDED', runAt });
    expect(Date.parse(done.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(runAt) - 50);
    expect(api.cloud.scheduler.pendingReleases.map((r) => r.jobId)).not.toContain(posted.body.jobId);
  });

  it('runAt beyond 15 minutes is held by the scheduler and released on time', async () => {
    // Prepare
    const runAt = new Date(clock.now() + 20 * 60_000);

    // Act
    const posted = await post({ runAt: runAt.toISOString() });
    const jobId = posted.body.jobId as string;
    const held = api.cloud.scheduler.pendingReleases.find((r) => r.jobId === jobId);
    clock.set(runAt.getTime() - 60_000);
    await api.cloud.scheduler.tick();
    const stillQueued = await api.request('GET', `/v1/jobs/${jobId}`);
    clock.set(runAt.getTime() + 1);
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(posted.status).toBe(202);
    expect(held?.at.toISOString()).toBe(runAt.toISOString());
    expect(stillQueued.body).toMatchObject({ status: 'QUEUED', runAt: runAt.toISOString() });
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    expect(api.cloud.scheduler.pendingReleases.map((r) => r.jobId)).not.toContain(jobId);
  });

  it('holds a job enqueued under an Idempotency-Key too, and replays it', async () => {
    const runAt = new Date(clock.now() + 30 * 60_000).toISOString();
    const body = { type: 'analysis', payload: analysisPayload(), runAt };
    const first = await api.request('POST', '/v1/jobs', { body, headers: { 'idempotency-key': 'held-once' } });
    const again = await api.request('POST', '/v1/jobs', { body, headers: { 'idempotency-key': 'held-once' } });
    const status = await api.request('GET', `/v1/jobs/${first.body.jobId}`);
    expect(first.status).toBe(202);
    expect(again.body.jobId).toBe(first.body.jobId);
    expect(status.body).toMatchObject({ status: 'QUEUED', runAt });
    expect(api.cloud.scheduler.pendingReleases.filter((r) => r.jobId === first.body.jobId)).toHaveLength(1);
  });

  it('GET /v1/queues counts a job held until tomorrow as held, not as the oldest waiting', async () => {
    // Prepare: the only e-mail job of this cloud, due tomorrow
    const runAt = new Date(Date.now() + 86_400_000).toISOString();
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'email', runAt, payload: { to: ['ada@example.com'], template: 'welcome', data: { name: 'Ada', loginUrl: 'https://app.example.com/login' } } } });

    // Act
    const overview = await api.request('GET', '/v1/queues');

    // Assess
    expect(posted.status).toBe(202);
    const email = (overview.body.queues as { type: string }[]).find((q) => q.type === 'email');
    expect(email).toMatchObject({ oldestWaitingSeconds: null, heldJobs: 1, nextRunAt: runAt, counts: { QUEUED: 1 }, queue: { visible: 0, delayed: 0 } });
  });

  it('400 naming the field for a bad delay or run time', async () => {
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString();
    const cases: [Record<string, unknown>, string][] = [
      [{ delaySeconds: 901 }, 'delaySeconds'],
      [{ delaySeconds: -1 }, 'delaySeconds'],
      [{ delaySeconds: 1.5 }, 'delaySeconds'],
      [{ delaySeconds: '10' }, 'delaySeconds'],
      [{ runAt: 'tomorrow' }, 'runAt'],
      [{ runAt: '2030-01-01T08:00:00' }, 'runAt'],
      [{ runAt: '2020-01-01T08:00:00Z' }, 'runAt'],
      [{ runAt: '2999-01-01T08:00:00Z' }, 'runAt'],
      [{ runAt: inAnHour, delaySeconds: 5 }, 'runAt'],
    ];
    for (const [extra, path] of cases) {
      const response = await post(extra);
      expect(response.status, JSON.stringify(extra)).toBe(400);
      expect(response.body.error.code).toBe('VALIDATION_FAILED');
      expect(response.body.error.issues.map((i: { path: string }) => i.path), JSON.stringify(extra)).toContain(path);
    }
  });
});
