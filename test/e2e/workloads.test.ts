import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import { LOCAL_MODEL_NOTICE } from '../../functions/adapters/local-text-model.js';
import { messagesTo } from '../helpers/inbox.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

let api: ApiClient;
const OTHER_TENANT = LOCAL_API_KEYS[1]!.key;

beforeAll(async () => {
  api = await bootLocalCloud();
});

afterAll(async () => {
  await api?.cloud.stop();
});

async function run(type: string, payload: unknown): Promise<Record<string, any>> { // eslint-disable-line @typescript-eslint/no-explicit-any -- job results of many shapes
  const posted = await api.request('POST', '/v1/jobs', { body: { type, payload } });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  return api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000);
}

describe('E2E: ai jobs through the local cloud (local model)', () => {
  it('writes a daily briefing whose text says the model is local, with sections and token usage', async () => {
    // Act
    const job = await run('ai', { task: 'daily-briefing', date: '2026-12-07', items: [{ title: 'Release 4.2 shipped', category: 'Engineering' }, { title: 'Churn up 2 %', category: 'Customers', priority: 'high' }] });

    // Assess
    expect(job.status).toBe('SUCCEEDED');
    expect(job.result).toMatchObject({ task: 'daily-briefing', date: '2026-12-07', model: { provider: 'local' }, sections: [{ heading: 'Engineering' }, { heading: 'Customers' }] });
    expect(job.result.text.startsWith(LOCAL_MODEL_NOTICE)).toBe(true);
    expect(job.result.usage.totalTokens).toBeGreaterThan(0);
  });

  it('generates ranked insights, answers a chat, forecasts a line and finds a spike', async () => {
    // Act
    const [insights, chat, forecast, anomalies] = await Promise.all([
      run('ai', { task: 'insight-generation', metrics: [{ name: 'signups', value: 120, previous: 100 }, { name: 'revenue', value: 50, previous: 100 }] }),
      run('ai', { task: 'chat-response', messages: [{ role: 'user', content: 'Which plan suits a team of five?' }], maxTokens: 64 }),
      run('ai', { task: 'demand-forecast', series: [10, 20, 30, 40, 50, 60], horizon: 3 }),
      run('ai', { task: 'anomaly-detection', series: [4, 4, 4, 4, 4, 4, 4, 19, 4, 4] }),
    ]);

    // Assess
    expect(insights.result.insights.map((i: { title: string }) => i.title)).toEqual(['revenue', 'signups']);
    expect(chat.result).toMatchObject({ task: 'chat-response', message: { role: 'assistant', content: expect.stringContaining(LOCAL_MODEL_NOTICE) }, stopReason: 'end_turn' });
    expect(forecast.result.forecast).toEqual([{ value: 70, low: 70, high: 70 }, { value: 80, low: 80, high: 80 }, { value: 90, low: 90, high: 90 }]);
    expect(anomalies.result.anomalies).toEqual([{ index: 7, value: 19, score: expect.any(Number) }]);
  });

  it('refuses a bad task payload at enqueue, naming the field', async () => {
    // Act
    const bad = await api.request('POST', '/v1/jobs', { body: { type: 'ai', payload: { task: 'demand-forecast', series: [1, 2, 3], horizon: 0 } } });

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues).toEqual([expect.objectContaining({ path: 'payload.horizon' })]);
  });
});

describe('E2E: notifications through the local cloud', () => {
  const address = 'notify-e2e@example.com';

  it('stores a notification, e-mails it when the user has e-mail on, and lists it newest first for its tenant only', async () => {
    // Prepare
    const prefs = await api.request('PUT', '/v1/notifications/preferences/user-42', { body: { email: true, address } });

    // Act
    const job = await run('notification', { kind: 'order', userId: 'user-42', title: 'Order 1042 shipped', body: 'It is on its way.', link: 'https://shop.example.com/orders/1042', orderId: '1042', status: 'shipped' });
    const later = await run('notification', { kind: 'system', userId: 'user-42', title: 'Maintenance tonight', body: '02:00–03:00 UTC' });
    const email = await api.waitForStatus(job.result.email.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000);
    await api.waitForStatus(later.result.email.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000);
    const list = await api.request('GET', '/v1/notifications?userId=user-42');
    const foreign = await api.request('GET', '/v1/notifications?userId=user-42', { key: OTHER_TENANT });

    // Assess
    expect(prefs).toMatchObject({ status: 200, body: { userId: 'user-42', email: true, address } });
    expect(job.result).toMatchObject({ stored: 'created', kind: 'order', email: { jobId: expect.any(String) } });
    expect(email).toMatchObject({ type: 'email', status: 'SUCCEEDED' });
    // The two e-mail jobs run independently: either may be sent first.
    expect((await messagesTo(api.cloud.inbox.storeUrl, address)).map((m) => m.subject).sort()).toEqual(['Maintenance tonight', 'Order 1042 shipped']);
    expect(list.status).toBe(200);
    expect(list.body.items.map((n: { title: string }) => n.title)).toEqual(['Maintenance tonight', 'Order 1042 shipped']);
    expect(list.body.items[1]).toMatchObject({ id: job.result.notificationId, kind: 'order', body: 'It is on its way.', link: 'https://shop.example.com/orders/1042', read: false, createdAt: expect.any(String) });
    expect(later.result.notificationId).toBe(list.body.items[0].id);
    expect(foreign.body.items).toEqual([]);
  });

  it('marks one read and then all read; another tenant gets 404 for the same id', async () => {
    // Prepare
    const first = await run('notification', { kind: 'marketplace', userId: 'user-77', title: 'Price drop', body: 'Now 20 % off', listingId: 'l-9', event: 'price-drop' });
    await run('notification', { kind: 'ai-insight', userId: 'user-77', title: 'Revenue fell 50 %', body: 'See the insights job', confidence: 0.8 });

    // Act
    const foreign = await api.request('POST', `/v1/notifications/${first.result.notificationId}/read`, { key: OTHER_TENANT });
    const read = await api.request('POST', `/v1/notifications/${first.result.notificationId}/read`);
    const unread = await api.request('GET', '/v1/notifications?userId=user-77&unread=true');
    const all = await api.request('POST', '/v1/notifications/read-all?userId=user-77');
    const none = await api.request('GET', '/v1/notifications?userId=user-77&unread=true');

    // Assess
    expect(foreign.status).toBe(404);
    expect(read).toMatchObject({ status: 200, body: { id: first.result.notificationId, read: true } });
    expect(unread.body.items.map((n: { title: string }) => n.title)).toEqual(['Revenue fell 50 %']);
    expect(all.body).toEqual({ updated: 1, more: false });
    expect(none.body.items).toEqual([]);
    expect(first.result.email).toEqual({ skipped: 'no preferences set' });
  });

  it('answers 400 naming the wrong field', async () => {
    // Act
    const noUser = await api.request('GET', '/v1/notifications');
    const noAddress = await api.request('PUT', '/v1/notifications/preferences/user-1', { body: { email: true } });

    // Assess
    expect(noUser.body.error.issues).toEqual([expect.objectContaining({ path: 'query.userId' })]);
    expect(noAddress.body.error.issues).toEqual([expect.objectContaining({ path: 'address' })]);
  });
});

describe('E2E: the analyze API, as its documents call it', () => {
  it('runs the documented calls: a POST with a description, one without, a GET of each, and the queue health', async () => {
    // Act
    const withDescription = await api.request('POST', '/v1/analyze', { body: { toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE', priority: 'normal' } });
    const withoutDescription = await api.request('POST', '/v1/analyze', { body: { toolId: 'replit', url: 'https://replit.com', priority: 'high' } });
    await api.waitForStatus(withDescription.body.jobId, ['SUCCEEDED']);
    await api.waitForStatus(withoutDescription.body.jobId, ['SUCCEEDED']);
    const first = await api.request('GET', `/v1/analyze/${withDescription.body.jobId}`);
    const second = await api.request('GET', `/v1/analyze/${withoutDescription.body.jobId}`);
    const health = await api.request('GET', '/queue/health', { key: null });

    // Assess
    expect(withDescription).toMatchObject({ status: 202, body: { jobId: expect.any(String), status: 'waiting' } });
    expect(withoutDescription.status).toBe(202);
    expect(first.body).toMatchObject({
      jobId: withDescription.body.jobId,
      status: 'completed',
      progress: 100,
      result: { toolId: 'replit', analysis: { strengths: ['no local setup'], limitations: expect.any(Array), useCases: expect.any(Array), maturityScore: expect.any(Number) } },
    });
    expect(second.body.result.analysis.limitations).toContain('no description: assessed from the URL alone');
    for (const score of [first.body.result.analysis.maturityScore, second.body.result.analysis.maturityScore]) expect(score >= 0 && score <= 1).toBe(true);
    expect(health).toMatchObject({ status: 200, body: { status: expect.stringMatching(/^(healthy|degraded)$/), stats: { waiting: expect.any(Number), active: expect.any(Number), completed: null, failed: expect.any(Number) }, timestamp: expect.any(String) } });
  });

  it('keeps the same key, tenant and idempotency as POST /v1/jobs', async () => {
    // Prepare
    const body = { toolId: 'figma', url: 'https://figma.com', description: 'Collaborative design tool' };

    // Act
    const noKey = await api.request('POST', '/v1/analyze', { body, key: null });
    const first = await api.request('POST', '/v1/analyze', { body, headers: { 'idempotency-key': 'analyze-figma-1' } });
    const replay = await api.request('POST', '/v1/analyze', { body, headers: { 'idempotency-key': 'analyze-figma-1' } });
    const foreign = await api.request('GET', `/v1/analyze/${first.body.jobId}`, { key: OTHER_TENANT });
    const viaJobs = await api.request('GET', `/v1/jobs/${first.body.jobId}`);
    const badUrl = await api.request('POST', '/v1/analyze', { body: { toolId: 'x', url: 'ftp://x' } });

    // Assess
    expect(noKey.status).toBe(401);
    expect(replay).toMatchObject({ status: 200, body: { jobId: first.body.jobId } });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(foreign.status).toBe(404);
    expect(viaJobs.body).toMatchObject({ type: 'analysis', payload: body });
    const done = await api.waitForStatus(first.body.jobId, ['SUCCEEDED']);
    // The job's own result shows the same assessment as the analyze API.
    expect((done.result as { analysis: unknown }).analysis).toEqual((await api.request('GET', `/v1/analyze/${first.body.jobId}`)).body.result.analysis);
    expect(badUrl).toMatchObject({ status: 400, body: { error: { issues: [expect.objectContaining({ path: 'url' })] } } });
  });

  it('answers 404 for a job that is not an analysis', async () => {
    // Prepare
    const ai = await run('ai', { task: 'anomaly-detection', series: [1, 1, 1] });

    // Act
    const response = await api.request('GET', `/v1/analyze/${ai.jobId}`);

    // Assess
    expect(response.status).toBe(404);
  });
});
