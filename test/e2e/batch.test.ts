import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud();
});

afterAll(async () => {
  await api?.cloud.stop();
});

const job = (i: number, extra: Record<string, unknown> = {}) => ({ type: 'analysis', payload: analysisPayload({ toolId: `b-${i}` }), ...extra });
const batch = (jobs: unknown[], key?: string | null) => api.request('POST', '/v1/jobs:batch', { body: { jobs }, ...(key !== undefined ? { key } : {}) });

describe('E2E: bulk enqueue, POST /v1/jobs:batch', () => {
  it('accepts 100 jobs, sent with SendMessageBatch, and runs each once', async () => {
    // Act
    const response = await batch(Array.from({ length: 100 }, (_, i) => job(i)));
    const ids = response.body.results.map((r: { jobId: string }) => r.jobId);
    const done = await Promise.all(ids.map((id: string) => api.waitForStatus(id, ['SUCCEEDED', 'FAILED', 'DEAD'], 60_000)));

    // Assess
    expect(response.status).toBe(202);
    expect(response.body).toMatchObject({ accepted: 100, rejected: 0 });
    expect(response.body.results.map((r: { index: number }) => r.index)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(new Set(ids).size).toBe(100);
    expect(done.every((j) => j.status === 'SUCCEEDED' && j.attempt === 1)).toBe(true);
    expect(done.map((j) => (j.result as { toolId: string }).toolId).sort()).toEqual(Array.from({ length: 100 }, (_, i) => `b-${i}`).sort());
  }, 90_000);

  it('validates each job on its own: 207 with an id or an error per item, and the bad ones leave nothing behind', async () => {
    // Act
    const response = await batch([
      job(0),
      { type: 'analysis', payload: analysisPayload({ url: 'javascript:alert(1)' }) },
      { type: 'nope', payload: {} },
      job(3, { delaySeconds: 5 }),
      job(4, { runAt: '2020-01-01T00:00:00Z' }),
      job(5, { idempotencyKey: 'has spaces' }),
    ]);

    // Assess
    expect(response.status).toBe(207);
    expect(response.body).toMatchObject({ accepted: 2, rejected: 4 });
    const [ok, badUrl, badType, delayed, past, badKey] = response.body.results;
    expect(ok).toMatchObject({ index: 0, jobId: expect.any(String), status: 'QUEUED' });
    expect(badUrl.error.issues).toContainEqual(expect.objectContaining({ path: 'jobs.1.payload.url' }));
    expect(badType.error.issues).toContainEqual(expect.objectContaining({ path: 'jobs.2.type' }));
    expect(delayed).toMatchObject({ index: 3, jobId: expect.any(String), runAt: expect.any(String) });
    expect(past.error.issues).toContainEqual(expect.objectContaining({ path: 'jobs.4.runAt' }));
    expect(badKey.error.issues).toContainEqual(expect.objectContaining({ path: 'jobs.5.idempotencyKey' }));
  });

  it('honours an idempotency key per item: a repeated batch replays the same jobs', async () => {
    const items = [job(0, { idempotencyKey: 'bulk-a' }), job(1, { idempotencyKey: 'bulk-b' })];
    const first = await batch(items);
    const again = await batch(items);
    const mismatch = await batch([{ ...job(9), idempotencyKey: 'bulk-a' }]);
    expect(first.status).toBe(202);
    expect(again.body.results.map((r: { jobId: string }) => r.jobId)).toEqual(first.body.results.map((r: { jobId: string }) => r.jobId));
    expect(again.body.results.every((r: { replayed?: boolean }) => r.replayed)).toBe(true);
    // No job accepted, every item for the same reason: the batch answers that reason's status.
    expect(mismatch).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_KEY_MISMATCH' }, accepted: 0, rejected: 1 } });
    expect(mismatch.body.results[0].error.code).toBe('IDEMPOTENCY_KEY_MISMATCH');
  });

  it('400 for a body that is not a batch, over 100 jobs, or with no valid job; 401 without a key', async () => {
    const notBatch = await api.request('POST', '/v1/jobs:batch', { body: job(0) });
    const tooMany = await batch(Array.from({ length: 101 }, (_, i) => job(i)));
    const empty = await batch([]);
    const allBad = await batch([{ type: 'nope' }]);
    const noKey = await batch([job(0)], null);
    expect(notBatch.status).toBe(400);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues).toContainEqual(expect.objectContaining({ path: 'jobs' }));
    expect(empty.status).toBe(400);
    expect(allBad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED' } } });
    expect(noKey.status).toBe(401);
  });
});
