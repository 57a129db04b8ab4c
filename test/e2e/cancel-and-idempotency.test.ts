import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { JobHandler } from '../../functions/worker/context.js';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** Handler runs per toolId, so each test can see whether (and how often) its job ran. */
const runs = new Map<string, number>();
const aborted = new Set<string>();

const analysis: JobHandler<PayloadOf<'analysis'>> = async (payload, ctx) => {
  runs.set(payload.toolId, (runs.get(payload.toolId) ?? 0) + 1);
  if (payload.toolId.startsWith('long-')) {
    // Reports progress until cancelled: the cancel arrives through a progress write.
    ctx.signal.addEventListener('abort', () => aborted.add(payload.toolId));
    for (let p = 1; p < 100; p++) {
      await ctx.progress(p);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { toolId: payload.toolId };
};

let api: ApiClient;
let sqs: SQSClient;

beforeAll(async () => {
  api = await bootLocalCloud({ handlers: { analysis } });
  sqs = new SQSClient({ region: 'us-east-1', endpoint: api.cloud.endpoints.sqs });
});

afterAll(async () => {
  sqs?.destroy();
  await api?.cloud.stop();
});

const post = (toolId: string, key?: string) =>
  api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId }) }, ...(key ? { headers: { 'idempotency-key': key } } : {}) });

async function queueDepth(): Promise<number> {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: api.cloud.queues.analysis.url, AttributeNames: ['All'] }));
  return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible) + Number(Attributes?.ApproximateNumberOfMessagesDelayed);
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('E2E: Idempotency-Key on POST /v1/jobs', () => {
  it('answers the same job for the same key and body (202, then 200 replayed), and runs it once', async () => {
    // Act
    const first = await post('idem-1', 'key-idem-1');
    const second = await post('idem-1', 'key-idem-1');
    await api.waitForStatus(first.body.jobId, ['SUCCEEDED']);
    const third = await post('idem-1', 'key-idem-1');

    // Assess
    expect(first.status).toBe(202);
    expect(second.status).toBe(200);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(second.body.jobId).toBe(first.body.jobId);
    expect(third).toMatchObject({ status: 200, body: { jobId: first.body.jobId, status: 'SUCCEEDED' } });
    expect(runs.get('idem-1')).toBe(1);
  });

  it('refuses the same key with a different body: 409 naming the header', async () => {
    await post('idem-2', 'key-idem-2');
    const other = await post('idem-2-changed', 'key-idem-2');
    expect(other).toMatchObject({ status: 409, body: { error: { code: 'IDEMPOTENCY_KEY_MISMATCH', issues: [{ path: 'headers.idempotency-key' }] } } });
  });

  it('makes one job of 20 concurrent identical requests', async () => {
    // Act
    const answers = await Promise.all(Array.from({ length: 20 }, () => post('idem-burst', 'key-burst')));
    await api.waitForStatus(answers[0]!.body.jobId, ['SUCCEEDED']);

    // Assess
    expect(new Set(answers.map((a) => a.body.jobId)).size).toBe(1);
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
    expect(runs.get('idem-burst')).toBe(1);
  });

  it('keeps keys apart per tenant', async () => {
    const mine = await post('idem-tenant', 'key-shared');
    const theirs = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'idem-tenant' }) }, headers: { 'idempotency-key': 'key-shared' }, key: LOCAL_API_KEYS[1]!.key });
    expect(theirs.status).toBe(202);
    expect(theirs.body.jobId).not.toBe(mine.body.jobId);
  });

  it('400s a malformed key', async () => {
    const bad = await post('idem-bad', 'has a space');
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', issues: [{ path: 'headers.idempotency-key' }] } } });
  });
});

describe('E2E: DELETE /v1/jobs/{id}', () => {
  it('cancels a QUEUED job at once, and the consumer then skips it', async () => {
    // Prepare: no consumer polls while the job is queued.
    await api.cloud.mappings.analysis.stop();
    const posted = await post('cancel-queued');

    // Act
    const cancelled = await api.request('DELETE', `/v1/jobs/${posted.body.jobId}`);
    api.cloud.mappings.analysis.start();
    await until(async () => (await queueDepth()) === 0, 'the cancelled job’s message to be consumed');

    // Assess
    expect(cancelled).toMatchObject({ status: 200, body: { jobId: posted.body.jobId, status: 'CANCELLED', error: { code: 'CANCELLED' } } });
    expect(runs.get('cancel-queued')).toBeUndefined();
    expect((await api.request('GET', `/v1/jobs/${posted.body.jobId}`)).body.status).toBe('CANCELLED');
  });

  it('flags a RUNNING job (202); its signal aborts at the next progress write and it ends CANCELLED', async () => {
    // Prepare
    const posted = await post('long-cancel');
    await api.waitForStatus(posted.body.jobId, ['RUNNING']);

    // Act
    const flagged = await api.request('DELETE', `/v1/jobs/${posted.body.jobId}`);
    const job = await api.waitForStatus(posted.body.jobId, ['CANCELLED', 'SUCCEEDED', 'FAILED']);

    // Assess
    expect(flagged).toMatchObject({ status: 202, body: { status: 'RUNNING', cancelRequested: true } });
    expect(job).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED' } });
    expect(job.progress as number).toBeLessThan(100);
    expect(aborted.has('long-cancel')).toBe(true);
  });

  it('409s a finished job, 404s an unknown one and another tenant’s', async () => {
    const posted = await post('cancel-finished');
    await api.waitForStatus(posted.body.jobId, ['SUCCEEDED']);
    const finished = await api.request('DELETE', `/v1/jobs/${posted.body.jobId}`);
    expect(finished).toMatchObject({ status: 409, body: { error: { code: 'JOB_FINISHED' } } });
    expect((await api.request('GET', `/v1/jobs/${posted.body.jobId}`)).body.status).toBe('SUCCEEDED');

    expect((await api.request('DELETE', '/v1/jobs/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await api.request('DELETE', `/v1/jobs/${posted.body.jobId}`, { key: LOCAL_API_KEYS[1]!.key })).status).toBe(404);
  });
});
