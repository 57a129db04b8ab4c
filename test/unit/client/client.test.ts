import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  ConnectionError,
  StoredResultError,
  createClient,
  JobDeadError,
  JobExpiredError,
  JobFailedError,
  NotFoundError,
  RateLimitedError,
  ServiceUnavailableError,
  ValidationError,
  WaitTimeoutError,
  type ClientOptions,
} from 'conveyor/client';

type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | { networkError: string };

/** A fetch that answers from a script and records each request; a clock that only moves when slept. */
function harness(answers: Answer[], options: Partial<ClientOptions> = {}) {
  const requests: { method: string; url: string; headers: Record<string, string>; body?: unknown }[] = [];
  const sleeps: number[] = [];
  let clock = 0;
  const fakeFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    requests.push({ method: init?.method ?? 'GET', url: String(input), headers: init?.headers as Record<string, string>, ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}) });
    const answer = answers.shift();
    if (!answer) throw new Error('no scripted answer left');
    if ('networkError' in answer) throw new TypeError('fetch failed', { cause: Object.assign(new Error(answer.networkError), { code: answer.networkError }) });
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status, headers: answer.headers ?? {} });
  };
  const client = createClient({
    endpoint: 'http://conveyor.test',
    apiKey: 'key-1',
    fetch: fakeFetch as typeof fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
      clock += ms;
    },
    random: () => 0.5,
    now: () => clock,
    ...options,
  });
  return { client, requests, sleeps };
}

const accepted = { status: 202, body: { jobId: '00000000-0000-4000-8000-000000000001', status: 'QUEUED', statusUrl: '/v1/jobs/…' } };
const unavailable = { status: 503, body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'store is unavailable; the job was not accepted' } }, headers: { 'retry-after': '1' } };
const gateway503 = { status: 503, body: { message: 'Service Unavailable' } };
const payload = { toolId: 't-1', url: 'https://example.com', description: 'A tool.' };

describe('Function: createClient — retries', () => {
  it('retries a 429 after its Retry-After plus jitter, and returns the job', async () => {
    // Prepare
    const { client, requests, sleeps } = harness([{ status: 429, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } }, headers: { 'retry-after': '2' } }, accepted]);

    // Act
    const result = await client.enqueue('analysis', payload);

    // Assess: 2 s asked, plus half of the first backoff step (random 0.5 × 250 ms)
    expect(result).toMatchObject({ jobId: accepted.body.jobId, status: 'QUEUED', replayed: false });
    expect(requests).toHaveLength(2);
    expect(sleeps).toEqual([2_125]);
  });

  it('without an idempotency key, retries only what the API surely did not accept', async () => {
    // Prepare
    const refusedThenOk = harness([unavailable, { networkError: 'ECONNREFUSED' }, accepted]);
    const gateway = harness([gateway503, accepted]);
    const reset = harness([{ networkError: 'ECONNRESET' }, accepted]);
    const serverError = harness([{ status: 500, body: { error: { code: 'INTERNAL', message: 'boom' } } }, accepted]);

    // Act
    const ok = await refusedThenOk.client.enqueue('analysis', payload);
    const gatewayError = await gateway.client.enqueue('analysis', payload).catch((e: unknown) => e);
    const resetError = await reset.client.enqueue('analysis', payload).catch((e: unknown) => e);
    const internal = await serverError.client.enqueue('analysis', payload).catch((e: unknown) => e);

    // Assess: Conveyor's own 503 and a refused connection accepted nothing; a gateway's 503, a reset
    // connection or a 500 may hide an accepted job, so repeating could enqueue it twice
    expect(ok.status).toBe('QUEUED');
    expect(refusedThenOk.requests).toHaveLength(3);
    expect(gatewayError).toBeInstanceOf(ServiceUnavailableError);
    expect(gateway.requests).toHaveLength(1);
    expect(resetError).toBeInstanceOf(ConnectionError);
    expect((resetError as ConnectionError).mayHaveBeenSent).toBe(true);
    expect(reset.requests).toHaveLength(1);
    expect(serverError.requests).toHaveLength(1);
    expect((internal as Error).name).toBe('ServerError');
  });

  it('with an idempotency key, retries any 503, a broken connection and a key still in progress, sending the key each time', async () => {
    // Prepare
    const inProgress = { status: 409, body: { error: { code: 'IDEMPOTENCY_KEY_IN_PROGRESS', message: 'wait' } }, headers: { 'retry-after': '1' } };
    const { client, requests } = harness([gateway503, { networkError: 'ECONNRESET' }, inProgress, { ...accepted, status: 200 }], { retry: { maxAttempts: 5 } });

    // Act
    const result = await client.enqueue('analysis', payload, { idempotencyKey: 'order-42' });

    // Assess
    expect(result.replayed).toBe(true);
    expect(requests).toHaveLength(4);
    expect(requests.every((r) => r.headers['idempotency-key'] === 'order-42')).toBe(true);
  });

  it('gives up after maxAttempts tries with full-jitter backoff, throwing the typed error', async () => {
    // Prepare
    const limited = { status: 429, body: { error: { code: 'RATE_LIMITED', message: 'slow down' } } };
    const { client, requests, sleeps } = harness([limited, limited, limited, limited, limited]);

    // Act
    const error = await client.get('00000000-0000-4000-8000-000000000001').catch((e: unknown) => e);

    // Assess: 4 tries, 3 waits of random × 250 × 2^(n−1)
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).code).toBe('RATE_LIMITED');
    expect(requests).toHaveLength(4);
    expect(sleeps).toEqual([125, 250, 500]);
  });

  it('does not wait out a Retry-After longer than maxRetryAfterMs: the caller gets retryAfterSeconds', async () => {
    // Prepare
    const { client, requests } = harness([{ status: 429, body: { error: { code: 'RATE_LIMITED', message: 'window spent' } }, headers: { 'retry-after': '60' } }]);

    // Act
    const error = await client.enqueue('analysis', payload).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterSeconds).toBe(60);
    expect(requests).toHaveLength(1);
  });

  it('never retries a 400, and carries its issues', async () => {
    // Prepare
    const { client, requests } = harness([{ status: 400, body: { error: { code: 'VALIDATION_FAILED', message: 'bad', issues: [{ path: 'payload.url', message: 'must be an http(s) URL' }] } } }]);

    // Act
    const error = await client.enqueue('analysis', payload).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'payload.url', message: 'must be an http(s) URL' }]);
    expect(requests).toHaveLength(1);
  });
});

describe('Function: createClient — requests', () => {
  it('sends the key, the options and the body the API expects', async () => {
    // Prepare
    const { client, requests } = harness([accepted]);

    // Act
    await client.enqueue('analysis', payload, { delaySeconds: 5, runAt: new Date('2026-12-01T08:00:00Z'), callbackUrl: 'https://app.example.com/hooks' });

    // Assess
    expect(requests[0]).toMatchObject({
      method: 'POST',
      url: 'http://conveyor.test/v1/jobs',
      headers: { authorization: 'Bearer key-1', 'content-type': 'application/json' },
      body: { type: 'analysis', payload, delaySeconds: 5, runAt: '2026-12-01T08:00:00.000Z', callbackUrl: 'https://app.example.com/hooks' },
    });
  });

  it('lists one page when awaited, and every page when iterated', async () => {
    // Prepare
    const job = (n: number) => ({ jobId: `job-${n}`, type: 'analysis', status: 'SUCCEEDED' });
    const { client, requests } = harness([
      { status: 200, body: { jobs: [job(1)], cursor: 'c1' } },
      { status: 200, body: { jobs: [job(1)], cursor: 'c1' } },
      { status: 200, body: { jobs: [job(2)] } },
    ]);

    // Act
    const first = await client.list({ type: 'analysis', status: 'SUCCEEDED' });
    const pages = [];
    for await (const page of client.list({ type: 'analysis' })) pages.push(page);

    // Assess
    expect(first.cursor).toBe('c1');
    expect(pages.map((p) => p.jobs.map((j) => j.jobId))).toEqual([['job-1'], ['job-2']]);
    expect(requests.map((r) => r.url)).toEqual(['http://conveyor.test/v1/jobs?type=analysis&status=SUCCEEDED', 'http://conveyor.test/v1/jobs?type=analysis', 'http://conveyor.test/v1/jobs?type=analysis&cursor=c1']);
  });

  it('sends priority and ttlSeconds as enqueue options, beside the payload', async () => {
    // Prepare
    const { client, requests } = harness([accepted]);

    // Act
    await client.enqueue('analysis', payload, { priority: 'high', ttlSeconds: 60 });

    // Assess
    expect(requests[0]?.body).toEqual({ type: 'analysis', payload, priority: 'high', ttlSeconds: 60 });
  });

  it('edits a waiting job with PATCH, and does not repeat an edit whose answer was lost', async () => {
    // Prepare
    const { client, requests } = harness([{ status: 200, body: { jobId: 'j-1', status: 'QUEUED' } }, { networkError: 'ECONNRESET' }]);

    // Act
    const edited = await client.edit<'analysis'>('j-1', { payload, runAt: new Date('2026-12-01T08:00:00Z'), priority: 'low' });
    const lost = await client.edit('j-1', { priority: 'high' }).catch((e: unknown) => e);

    // Assess
    expect(edited).toMatchObject({ jobId: 'j-1', status: 'QUEUED' });
    expect(requests[0]).toMatchObject({ method: 'PATCH', url: 'http://conveyor.test/v1/jobs/j-1', body: { payload, runAt: '2026-12-01T08:00:00.000Z', priority: 'low' } });
    expect(lost).toBeInstanceOf(ConnectionError);
    expect(requests).toHaveLength(2);
  });

  it('maps an edit of a started job to ConflictError JOB_STARTED', async () => {
    // Prepare
    const { client } = harness([{ status: 409, body: { error: { code: 'JOB_STARTED', message: 'job j-1 is RUNNING' } } }]);

    // Act
    const error = await client.edit('j-1', { priority: 'high' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('JOB_STARTED');
  });

  it('pauses and resumes a type, repeating either on a broken connection (each sets a state)', async () => {
    // Prepare
    const paused = { type: 'email', paused: true, pausedAt: '2026-12-06T08:00:00.000Z', pausedBy: 'ops' };
    const { client, requests } = harness([{ networkError: 'ECONNRESET' }, { status: 200, body: paused }, { status: 200, body: { type: 'email', paused: false } }]);

    // Act
    const pause = await client.admin.pause('email');
    const resume = await client.admin.resume('email');

    // Assess
    expect(pause).toEqual(paused);
    expect(resume).toEqual({ type: 'email', paused: false });
    expect(requests.map((r) => `${r.method} ${r.url}`)).toEqual(['POST http://conveyor.test/v1/queues/email/pause', 'POST http://conveyor.test/v1/queues/email/pause', 'POST http://conveyor.test/v1/queues/email/resume']);
  });

  it('maps a 404 to NotFoundError', async () => {
    // Prepare
    const { client } = harness([{ status: 404, body: { error: { code: 'NOT_FOUND', message: 'job x not found' } } }]);

    // Act / Assess
    await expect(client.cancel('x')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('Function: createClient — wait', () => {
  const view = (status: string, progress: number, extra: Record<string, unknown> = {}) => ({ status: 200, body: { jobId: 'j-1', type: 'analysis', status, progress, ...extra } });

  it('polls with a growing interval until the job succeeds, reporting each change, and returns the result', async () => {
    // Prepare
    const { client, sleeps } = harness([view('QUEUED', 0), view('RUNNING', 50), view('RUNNING', 50), view('SUCCEEDED', 100, { result: { toolId: 't-1' } })]);
    const seen: string[] = [];

    // Act
    const result = await client.wait<'analysis'>('j-1', { onProgress: (job) => seen.push(`${job.status} ${job.progress}`) });

    // Assess
    expect(result).toEqual({ toolId: 't-1' });
    expect(seen).toEqual(['QUEUED 0', 'RUNNING 50', 'SUCCEEDED 100']);
    expect(sleeps).toEqual([250, 375, 562.5]);
  });

  it('throws JobFailedError with the job error for FAILED and JobDeadError for DEAD', async () => {
    // Prepare
    const failed = harness([view('FAILED', 0, { error: { code: 'BLANK_TEXT', message: 'no words' } })]);
    const dead = harness([view('DEAD', 0, { error: { code: 'RETRYABLE_FAILURE', message: 'down' } })]);

    // Act
    const failure = await failed.client.wait('j-1').catch((e: unknown) => e);
    const death = await dead.client.wait('j-1').catch((e: unknown) => e);

    // Assess
    expect(failure).toBeInstanceOf(JobFailedError);
    expect((failure as JobFailedError).error).toEqual({ code: 'BLANK_TEXT', message: 'no words' });
    expect(death).toBeInstanceOf(JobDeadError);
  });

  it('throws JobExpiredError for a job that was not started by its ttlSeconds deadline', async () => {
    // Prepare
    const { client } = harness([view('QUEUED', 0), view('EXPIRED', 0, { error: { code: 'EXPIRED', message: 'not started by 2026-12-06T08:00:01.000Z' } })]);

    // Act
    const error = await client.wait('j-1').catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(JobExpiredError);
    expect((error as JobExpiredError).status).toBe('EXPIRED');
  });

  it('fetches a result stored apart from its presigned URL, without the API key, and checks it against its digest', async () => {
    // Prepare: a result too large for the record (only its size, digest and URL in the view)
    const large = { blob: 'r'.repeat(20_000) };
    const text = JSON.stringify(large);
    const ref = { bytes: Buffer.byteLength(text), sha256: createHash('sha256').update(text).digest('hex') };
    const link = { url: 'http://s3.test/jobdata/tenants/dev/jobs/j-1/result.json?X-Amz-Signature=abc', expiresAt: '2026-12-06T09:00:00.000Z', contentType: 'application/json', ...ref };
    const { client, requests } = harness([view('SUCCEEDED', 100, { resultRef: ref, resultDownload: link }), { status: 200, body: large }]);

    // Act
    const result = await client.wait('j-1');

    // Assess
    expect(result).toEqual(large);
    expect(requests.map((r) => r.url)).toEqual(['http://conveyor.test/v1/jobs/j-1', link.url]);
    expect(JSON.stringify(requests[1]!.headers ?? {})).not.toContain('key-1');
  });

  it('throws StoredResultError when the stored result cannot be fetched or does not match its digest', async () => {
    // Prepare
    const ref = { bytes: 13, sha256: 'ab'.repeat(32) };
    const link = { url: 'http://s3.test/r.json', expiresAt: '2026-12-06T09:00:00.000Z', contentType: 'application/json', ...ref };
    const expired = harness([view('SUCCEEDED', 100, { resultRef: ref, resultDownload: link }), { status: 403, body: { message: 'expired' } }]);
    const altered = harness([view('SUCCEEDED', 100, { resultRef: ref, resultDownload: link }), { status: 200, body: { blob: 'x' } }]);

    // Act
    const [denied, mismatch] = await Promise.all([expired.client.wait('j-1').catch((e: unknown) => e), altered.client.wait('j-1').catch((e: unknown) => e)]);

    // Assess
    expect(denied).toBeInstanceOf(StoredResultError);
    expect((denied as Error).message).toContain('403');
    expect(mismatch).toBeInstanceOf(StoredResultError);
    expect((mismatch as Error).message).toContain('digest');
  });

  it('throws WaitTimeoutError with the last view once timeoutMs has passed on its clock', async () => {
    // Prepare
    const { client } = harness([view('QUEUED', 0), view('QUEUED', 0), view('RUNNING', 10)]);

    // Act
    const error = await client.wait('j-1', { timeoutMs: 600 }).catch((e: unknown) => e);

    // Assess: polls at 0, 250 and 600 ms (the last sleep cut to the time left)
    expect(error).toBeInstanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).job).toMatchObject({ status: 'RUNNING', progress: 10 });
  });
});
