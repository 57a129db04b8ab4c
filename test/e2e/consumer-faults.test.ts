import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobHandler } from '../../functions/worker/context.js';
import { JobTimeoutError, PermanentJobError, RetryableJobError } from '../../shared/domain/errors.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * Fault injection through the local cloud: real SQS server (redrive, visibility, receive counts),
 * real DynamoDB (dynalite), the event-source-mapping emulation and the API. The handler's behaviour is
 * chosen by the job's toolId, and every run is counted per toolId.
 */
const runs = new Map<string, number[]>();
/** Why the signal of an overrunning first attempt fired (undefined: it did not). */
const abortReasons = new Map<string, unknown>();

const analysis: JobHandler<PayloadOf<'analysis'>> = async (payload, ctx) => {
  const id = payload.toolId;
  runs.set(id, [...(runs.get(id) ?? []), ctx.attempt]);
  const [kind, n] = id.split(':');
  // A retry's delay is full-jitter and may be 0 s; a retried attempt that takes 300 ms keeps the
  // record RETRYING (RUNNING is written lazily) long enough for a 20 ms poll to see it.
  if (kind === 'flaky' && ctx.attempt > 1) await new Promise((resolve) => setTimeout(resolve, 300));
  if (kind === 'flaky' && ctx.attempt <= Number(n)) throw new RetryableJobError(`flaky attempt ${ctx.attempt}`, 'UPSTREAM_5XX');
  if (kind === 'always') throw new RetryableJobError('always fails', 'UPSTREAM_5XX');
  if (kind === 'permanent') throw new PermanentJobError('bad input', 'BAD_INPUT');
  if (kind === 'slow' && ctx.attempt === 1) {
    ctx.signal.addEventListener('abort', () => abortReasons.set(id, ctx.signal.reason), { once: true });
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // ignores its signal
  }
  if (kind === 'retry-then-long') {
    // Fails its first attempt, then runs long (reporting progress): it can never reach DEAD before the cancel.
    if (ctx.attempt === 1) throw new RetryableJobError('first attempt fails', 'UPSTREAM_5XX');
    for (let p = 1; p < 200; p++) {
      await ctx.progress(p / 2);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return { toolId: id };
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

const post = async (toolId: string): Promise<string> => {
  const response = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId }) } });
  expect(response.status).toBe(202);
  return response.body.jobId as string;
};

const terminal = ['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'];

async function depth(url: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible) + Number(Attributes.ApproximateNumberOfMessagesDelayed);
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every DLQ message's jobId (the DLQ has no consumer; a long visibility keeps each read once). */
async function drainDlq(): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: api.cloud.queues.analysis.dlqUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 300 }));
    if (Messages.length === 0) return ids;
    ids.push(...Messages.map((m) => (JSON.parse(m.Body!) as { jobId: string }).jobId));
  }
}

describe('E2E: consumer semantics under injected faults', () => {
  it('retries a handler that throws twice, shows RETRYING with the error and next attempt, then succeeds on attempt 3', async () => {
    // Act
    const jobId = await post('flaky:2');
    const retrying = await api.waitForStatus(jobId, ['RETRYING'], 20_000);
    const done = await api.waitForStatus(jobId, terminal, 30_000);

    // Assess
    expect(retrying).toMatchObject({ status: 'RETRYING', error: { code: 'UPSTREAM_5XX' }, nextAttemptAt: expect.any(String) });
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 3, result: { toolId: 'flaky:2' } });
    expect(done.error).toBeUndefined();
    expect(runs.get('flaky:2')).toEqual([1, 2, 3]);
  });

  it('ends a handler that always throws DEAD after maxAttempts, with its message in the DLQ exactly once', async () => {
    // Act
    const jobId = await post('always:x');
    const done = await api.waitForStatus(jobId, terminal, 40_000);
    await until(async () => (await depth(api.cloud.queues.analysis.url)) === 0, 'the source queue to empty');
    await until(async () => (await depth(api.cloud.queues.analysis.dlqUrl)) > 0, 'the DLQ to receive the message');
    const dead = await drainDlq();

    // Assess
    expect(done).toMatchObject({ status: 'DEAD', attempt: 3, error: { code: 'UPSTREAM_5XX' } });
    expect(runs.get('always:x')).toEqual([1, 2, 3]);
    expect(dead.filter((id) => id === jobId)).toHaveLength(1);
  });

  it('ends a permanent failure FAILED on its first attempt, without a retry', async () => {
    const jobId = await post('permanent:x');
    const done = await api.waitForStatus(jobId, terminal);
    await until(async () => (await depth(api.cloud.queues.analysis.url)) === 0, 'the message to be acknowledged');
    expect(done).toMatchObject({ status: 'FAILED', attempt: 1, error: { code: 'BAD_INPUT' } });
    expect(runs.get('permanent:x')).toEqual([1]);
  });

  it('never re-runs the good records of a batch that holds a failing one', async () => {
    // Prepare: all records in the queue before any poller takes a batch of up to 10.
    await api.cloud.mappings.analysis.stop();
    const good = await Promise.all(Array.from({ length: 6 }, (_, i) => post(`good:${i}`)));
    const bad = await post('permanent:batch');
    const flaky = await post('flaky:1:batch');

    // Act
    api.cloud.mappings.analysis.start();
    const results = await Promise.all([...good, bad, flaky].map((id) => api.waitForStatus(id, terminal, 20_000)));

    // Assess
    expect(results.map((r) => r.status)).toEqual([...Array(6).fill('SUCCEEDED'), 'FAILED', 'SUCCEEDED']);
    for (let i = 0; i < 6; i++) expect(runs.get(`good:${i}`)).toEqual([1]);
    expect(runs.get('flaky:1:batch')).toEqual([1, 2]);
  });

  it('acknowledges a duplicate delivery of a finished job without running it again', async () => {
    // Prepare
    const jobId = await post('dup:finished');
    await api.waitForStatus(jobId, ['SUCCEEDED']);
    const job = (await api.request('GET', `/v1/jobs/${jobId}`)).body;

    // Act: the same message body arrives again (SQS standard queues deliver at least once).
    await sqs.send(new SendMessageCommand({ QueueUrl: api.cloud.queues.analysis.url, MessageBody: JSON.stringify({ jobId, type: 'analysis' }) }));
    await until(async () => (await depth(api.cloud.queues.analysis.url)) === 0, 'the duplicate to be consumed');

    // Assess
    expect(runs.get('dup:finished')).toEqual([1]);
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'SUCCEEDED', attempt: 1, updatedAt: job.updatedAt });
  });

  it('cancels a RETRYING job: it never runs again', async () => {
    // Prepare
    const jobId = await post('retry-then-long:cancel');
    await api.waitForStatus(jobId, ['RETRYING'], 20_000);

    // Act
    const cancelled = await api.request('DELETE', `/v1/jobs/${jobId}`);
    const runsAtCancel = runs.get('retry-then-long:cancel')!.length;
    const done = await api.waitForStatus(jobId, terminal, 20_000);
    await until(async () => (await depth(api.cloud.queues.analysis.url)) === 0, 'its message to be consumed', 20_000);

    // Assess: cancelled at once (200), or — if its retry had just begun — flagged (202) and stopped there.
    expect([200, 202]).toContain(cancelled.status);
    expect(done).toMatchObject({ status: 'CANCELLED' });
    expect(runs.get('retry-then-long:cancel')!.length).toBeLessThanOrEqual(runsAtCancel + 1);
  });
});

describe('E2E: a handler that overruns its time', () => {
  let short: ApiClient;

  beforeAll(async () => {
    // A margin of 29.5 s against analysis's 30 s timeout: the signal fires after about 0.5 s.
    short = await bootLocalCloud({ handlers: { analysis }, timeoutMarginMs: 29_500 });
  });

  afterAll(async () => {
    await short?.cloud.stop();
  });

  it('counts the overrun as a failed attempt (TIMEOUT), retries, and succeeds', async () => {
    // Act
    const posted = await short.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'slow:1' }) } });
    const done = await short.waitForStatus(posted.body.jobId, terminal, 20_000);

    // Assess: the first attempt's signal fired with a timeout, the attempt counted, the retry won.
    // (RETRYING itself is not awaited: under load the retry may finish between two polls.)
    expect(abortReasons.get('slow:1')).toBeInstanceOf(JobTimeoutError);
    expect((abortReasons.get('slow:1') as JobTimeoutError).code).toBe('TIMEOUT');
    expect(runs.get('slow:1')).toEqual([1, 2]);
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
  });
});
