import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyAdmin } from '../../functions/adapters/aws/dynamo-api-key-admin.js';
import { createClients } from '../../functions/wiring.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * Attacks on the API through the local cloud, each a request a hostile or careless client could
 * send. Each answer must be a clear 4xx naming what is wrong — never a 503 "retry later" for a
 * request that can never succeed, never a silently altered request, never another tenant's data.
 */
let api: ApiClient;
const OTHER_KEY = 'cvk_local_other'; // tenant "other", scope jobs only
const OTHER_ADMIN_KEY = 'cvk_test_other_admin'; // tenant "other", scopes jobs + admin (stored by the test)

beforeAll(async () => {
  api = await bootLocalCloud();
  const clients = createClients(api.cloud.config);
  await new DynamoApiKeyAdmin({ client: clients.dynamo, tableName: api.cloud.config.CONVEYOR_TABLE_NAME }).put(OTHER_ADMIN_KEY, { tenant: 'other', keyId: 'test-other-admin', scopes: ['jobs', 'admin'] });
});

afterAll(async () => {
  await api?.cloud.stop();
});

const tableExport = (rows: unknown[][]) => ({ type: 'pdf', payload: { kind: 'table-export', data: { columns: rows[0]!.map((_, i) => `c${i}`), rows } } });

/** A raw HTTP request, for what fetch will not send (a Host header, bytes that are not UTF-8). */
function raw(method: string, path: string, headers: Record<string, string>, body?: Buffer, base = api.cloud.apiUrl): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes
  const url = new URL(path, base);
  // `host: ''` sends no Host header at all.
  const { host, ...rest } = headers;
  const setHost = host !== '';
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, setHost, headers: { ...rest, ...(host ? { host } : {}), ...(body ? { 'content-length': String(body.length) } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON
        }
        resolve({ status: response.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('Attack: input SQS or DynamoDB would refuse is a 400/413 at the door, not a 503', () => {
  it.each([
    ['U+FFFF', '\uFFFF'],
    ['U+FFFE', '\uFFFE'],
  ])('refuses a string holding %s (SQS InvalidMessageContents) with 400 naming the field', async (_name, character) => {
    // Act
    const response = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ description: `fine until here ${character}` }) } });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path: 'payload.description' }));
    expect(response.headers.get('retry-after')).toBeNull();
  });

  it.each([
    ['1e126', 1e126],
    ['1e308', 1e308],
    ['2^53', 2 ** 53],
    ['-2^53', -(2 ** 53)],
    ['1e-131', 1e-131],
    ['5e-324', 5e-324],
  ])('refuses the number %s (beyond ±2^53−1 or DynamoDB\'s range) with 400 naming the field', async (_name, value) => {
    // Act
    const response = await api.request('POST', '/v1/jobs', { body: tableExport([['a', value]]) });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path: 'payload.data.rows.0.1' }));
  });

  it('still accepts the numbers at the edges: ±(2^53−1), 1e-130 and 0', async () => {
    const response = await api.request('POST', '/v1/jobs', { body: tableExport([[2 ** 53 - 1, -(2 ** 53 - 1), 1e-130, 0, -0]]) });
    expect(response.status).toBe(202);
  });

  it('accepts a batch item whose payload alone would pass DynamoDB\'s 400 KB item limit: kept in S3, its record holds a reference', async () => {
    // Prepare: about 450 KB of cells (the batch body itself is under its 1 MB cap)
    const big = tableExport(Array.from({ length: 900 }, () => ['x'.repeat(500)]));
    const small = { type: 'analysis', payload: analysisPayload() };

    // Act
    const mixed = await api.request('POST', '/v1/jobs:batch', { body: { jobs: [small, big] } });
    const stored = await api.request('GET', `/v1/jobs/${String(mixed.body.results[1]?.jobId)}`);

    // Assess (a record that would still pass the limit is a 413 naming the item: test/unit/api)
    expect(mixed.status).toBe(202);
    expect(stored.body.payload).toBeUndefined();
    expect(stored.body.payloadRef.bytes).toBeGreaterThan(400 * 1024);
  });

  it('answers a batch in which every item is refused with that refusal, not 207 "accepted: 0"', async () => {
    // Prepare: both pass the schema, both can never be stored
    const jobs = [tableExport([[1e300]]), { type: 'analysis', payload: analysisPayload({ description: 'bad \uFFFF' }) }];

    // Act
    const response = await api.request('POST', '/v1/jobs:batch', { body: { jobs } });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'VALIDATION_FAILED' }, accepted: 0, rejected: 2 });
    expect(response.body.error.issues.map((i: { path: string }) => i.path)).toEqual(['jobs.0.payload.data.rows.0.0', 'jobs.1.payload.description']);
  });
});

describe('Attack: Idempotency-Key edge cases', () => {
  it('answers 400 to an empty or whitespace-only key, and creates no job', async () => {
    const before = await api.request('GET', '/v1/jobs?limit=100');
    for (const value of ['', '   ']) {
      const response = await raw('POST', '/v1/jobs', { authorization: `Bearer ${api.cloud.apiKey}`, 'content-type': 'application/json', 'idempotency-key': value }, Buffer.from(JSON.stringify({ type: 'analysis', payload: analysisPayload() })));
      expect(response.status, JSON.stringify(value)).toBe(400);
      expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path: 'headers.idempotency-key' }));
    }
    const after = await api.request('GET', '/v1/jobs?limit=100');
    expect(after.body.jobs.length).toBe(before.body.jobs.length);
  });

  it('answers 400 to a non-ASCII key, so "café" can never be the same key as "caf%C3%A9"', async () => {
    // Prepare: "café" as UTF-8 bytes on the wire, and as one Latin-1 byte
    const body = Buffer.from(JSON.stringify({ type: 'analysis', payload: analysisPayload() }));
    const headers = { authorization: `Bearer ${api.cloud.apiKey}`, 'content-type': 'application/json' };

    // Act
    const encoded = await raw('POST', '/v1/jobs', { ...headers, 'idempotency-key': 'caf%C3%A9' }, body);
    const utf8 = await raw('POST', '/v1/jobs', { ...headers, 'idempotency-key': Buffer.from('café', 'utf8').toString('latin1') }, body);
    const latin1 = await raw('POST', '/v1/jobs', { ...headers, 'idempotency-key': 'café' }, body);

    // Assess
    expect(encoded.status).toBe(202);
    expect(utf8).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'headers.idempotency-key' }] } } });
    expect(latin1).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'headers.idempotency-key' }] } } });
  });
});

describe('Attack: bodies that are not UTF-8', () => {
  const headers = () => ({ authorization: `Bearer ${api.cloud.apiKey}` });

  it('answers 400 to invalid UTF-8 instead of replacing it with U+FFFD and accepting the job', async () => {
    // Prepare: a valid job whose description carries the byte 0xE9 alone (Latin-1 "é")
    const json = JSON.stringify({ type: 'analysis', payload: analysisPayload({ description: 'caf#' }) });
    const body = Buffer.from(json, 'latin1');
    body[body.indexOf('#')] = 0xe9;

    // Act
    const response = await raw('POST', '/v1/jobs', { ...headers(), 'content-type': 'application/json' }, body);

    // Assess
    expect(response).toMatchObject({ status: 400, body: { error: { code: 'INVALID_JSON', message: expect.stringContaining('UTF-8') } } });
  });

  it('answers 415 to a charset other than UTF-8', async () => {
    const body = Buffer.from(JSON.stringify({ type: 'analysis', payload: analysisPayload() }), 'latin1');
    const latin1 = await raw('POST', '/v1/jobs', { ...headers(), 'content-type': 'application/json; charset=iso-8859-1' }, body);
    const utf8 = await raw('POST', '/v1/jobs', { ...headers(), 'content-type': 'application/json; charset="UTF-8"' }, body);
    expect(latin1).toMatchObject({ status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: expect.stringContaining('charset') } } });
    expect(utf8.status).toBe(202);
  });
});

describe('Attack: a tenant admin reaching another tenant', () => {
  it('cannot read or retry another tenant\'s failed job (404), nor list or redrive the DLQs of all tenants (403)', async () => {
    // Prepare: a job of tenant "dev" that fails at once
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
    await api.waitForStatus(posted.body.jobId, ['FAILED']);

    // Act
    const retry = await api.request('POST', `/v1/jobs/${posted.body.jobId}/retry`, { key: OTHER_ADMIN_KEY, body: { payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000001' } } } });
    const dlq = await api.request('GET', '/v1/queues/pdf/dlq', { key: OTHER_ADMIN_KEY });
    const redrive = await api.request('POST', '/v1/queues/pdf/redrive', { key: OTHER_ADMIN_KEY });
    const job = await api.request('GET', `/v1/jobs/${posted.body.jobId}`);

    // Assess
    expect(retry).toMatchObject({ status: 404, body: { error: { code: 'NOT_FOUND' } } });
    expect(dlq).toMatchObject({ status: 403, body: { error: { code: 'FORBIDDEN', message: expect.stringContaining('operator') } } });
    expect(redrive.status).toBe(403);
    expect(job.body).toMatchObject({ status: 'FAILED', payload: { data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } });
  });

  it('retries a failed job of its own tenant, and the retry clears the previous error', async () => {
    // Prepare
    const posted = await api.request('POST', '/v1/jobs', { key: OTHER_KEY, body: { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
    const failed = await eventually(async () => {
      const { body } = await api.request('GET', `/v1/jobs/${posted.body.jobId}`, { key: OTHER_KEY });
      return body.status === 'FAILED' ? body : undefined;
    }, 15_000, 'the job FAILED');
    expect(failed.error).toMatchObject({ code: 'ANALYSIS_NOT_FOUND' });

    // Act
    const retried = await api.request('POST', `/v1/jobs/${posted.body.jobId}/retry`, { key: OTHER_ADMIN_KEY });

    // Assess
    expect(retried).toMatchObject({ status: 202, body: { status: 'QUEUED', tenant: 'other' } });
    expect(retried.body.error).toBeUndefined();
  });
});

describe('Attack: forged page cursors', () => {
  it('answers 400 naming cursor for a cursor the API did not issue, or one issued to another tenant', async () => {
    // Prepare: a real cursor of tenant "dev", and one forged from a real job id in the same shape
    for (let i = 0; i < 2; i++) await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload() } });
    const page = await api.request('GET', '/v1/jobs?limit=1');
    const issued = page.body.cursor as string;
    const forged = Buffer.from(JSON.stringify({ v: 1, s: 'jobs|*|*', k: page.body.jobs[0].jobId })).toString('base64url');
    const tampered = `${issued.slice(0, -2)}${issued.endsWith('AA') ? 'BB' : 'AA'}`;

    // Act
    const own = await api.request('GET', `/v1/jobs?limit=1&cursor=${issued}`);
    const results = await Promise.all([
      api.request('GET', `/v1/jobs?limit=1&cursor=${forged}`),
      api.request('GET', `/v1/jobs?limit=1&cursor=${tampered}`),
      api.request('GET', `/v1/jobs?limit=1&cursor=${issued}`, { key: OTHER_KEY }),
      api.request('GET', `/v1/jobs?limit=1&type=pdf&cursor=${issued}`),
    ]);

    // Assess
    expect(own.status).toBe(200);
    for (const response of results) expect(response).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'cursor' }] } } });
  });
});

describe('Attack: callback URLs that carry a private IPv4 address inside IPv6, or localhost with a dot', () => {
  it.each(['http://[::127.0.0.2]/x', 'http://[::ffff:0:7f00:1]/x', 'http://[64:ff9b::a9fe:a9fe]/x', 'http://[2002:a9fe:a9fe::]/x', 'http://app.localhost./x', 'http://[fd00:ec2::254]/x'])('400 naming callbackUrl for %s', async (callbackUrl) => {
    // The local cloud allow-lists 127.0.0.1, localhost and ::1 only.
    const response = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl } });
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path: 'callbackUrl' }));
  });
});

describe('Attack: DNS rebinding against the local cloud', () => {
  it('answers 403 to a request whose Host is not a loopback name, and serves loopback hosts on any port', async () => {
    // Prepare
    const headers = { authorization: `Bearer ${api.cloud.apiKey}` };

    // Act
    const rebound = await raw('GET', '/v1/jobs', { ...headers, host: 'attacker.example:3000' });
    const dashboard = await raw('GET', '/dashboard/', { host: 'attacker.example' });
    const noHost = await raw('GET', '/v1/health', { host: '' });
    const loopback = await Promise.all(['127.0.0.1:3000', 'localhost', 'LOCALHOST:9', '[::1]:3000', 'localhost.'].map((host) => raw('GET', '/v1/jobs', { ...headers, host })));

    // Assess
    expect(rebound.status).toBe(403);
    expect(dashboard.status).toBe(403);
    // Node's server itself refuses an HTTP/1.1 request without Host (400); either way it is not served.
    expect([400, 403]).toContain(noHost.status);
    expect(loopback.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
  });

  it('refuses a foreign Host on every local AWS server (DynamoDB, SQS, SES, S3, Lambda, Upstash) before it reaches the service', async () => {
    // Prepare: each server, with a request its service would act on
    const servers = Object.entries({ ...api.cloud.endpoints, ...(api.cloud.upstash ? { upstash: api.cloud.upstash.url } : {}) });
    const listTables = { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables', authorization: 'AWS4-HMAC-SHA256 Credential=local/20261206/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' };

    // Act
    const rebound = await Promise.all(servers.map(([, endpoint]) => raw('POST', '/', { ...listTables, host: 'attacker.example' }, Buffer.from('{}'), endpoint)));
    const loopback = await Promise.all(servers.map(([, endpoint]) => raw('POST', '/', { ...listTables, host: new URL(endpoint).host }, Buffer.from('{}'), endpoint)));

    // Assess: every one refused by the Host check; from a loopback Host each reaches its service
    expect(servers.length).toBeGreaterThanOrEqual(5);
    for (const [index, [name]] of servers.entries()) {
      expect({ name, status: rebound[index]!.status, message: rebound[index]!.body.message }).toEqual({ name, status: 403, message: expect.stringMatching(/answers only to 127\.0\.0\.1, localhost or \[::1\] as Host/) });
      expect({ name, message: String(loopback[index]!.body?.message ?? '') }).not.toEqual({ name, message: expect.stringMatching(/answers only to/) });
    }
  });
});
