import { describe, expect, it, vi } from 'vitest';
import { httpApiHandler, toRequest, type HttpApiEvent } from '../../../functions/adapters/aws/http-api-event.js';
import { createApiApp } from '../../../functions/api/app.js';
import { JobService } from '../../../functions/api/job-service.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ApiKeyResolver } from '../../../shared/ports/api-keys.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import { analysisPayload } from '../../helpers/factories.js';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const keys: ApiKeyResolver = { resolve: async (key) => (key === 'good-key' ? { tenant: 'tenant-a', keyId: 'k1', scopes: ['jobs'] } : undefined) };

/** The API behind the adapter, as the API Lambda runs it, over in-memory stores. */
function lambda() {
  const store = new MemoryJobStore();
  const queue: JobQueue = { send: vi.fn(async () => undefined), changeVisibility: async () => undefined };
  const app = createApiApp({ jobs: new JobService({ store, queue, logger: silentLogger, idempotency: new MemoryIdempotencyStore() }), keys, logger: silentLogger, stage: 'test' });
  return { store, handler: httpApiHandler(app.fetch) };
}

/** A payload-2.0 event as API Gateway builds it (header names lower-cased). */
function event(overrides: Partial<HttpApiEvent> & { headers?: Record<string, string> } = {}): HttpApiEvent {
  return {
    rawPath: '/v1/jobs',
    rawQueryString: '',
    requestContext: { domainName: 'abc.execute-api.eu-west-1.amazonaws.com', http: { method: 'POST' } },
    isBase64Encoded: false,
    body: JSON.stringify({ type: 'analysis', payload: analysisPayload() }),
    ...overrides,
    headers: { authorization: 'Bearer good-key', 'content-type': 'application/json', ...overrides.headers },
  };
}

const issuesOf = (body: string) => (JSON.parse(body) as { error: { code: string; issues?: { path: string }[] } }).error;

describe('Function: httpApiHandler', () => {
  it('answers 400 to an Idempotency-Key that API Gateway passed as an empty value', async () => {
    const { store, handler } = lambda();
    const result = await handler(event({ headers: { 'idempotency-key': '' } }));
    expect(result.statusCode).toBe(400);
    expect(issuesOf(result.body).issues).toContainEqual(expect.objectContaining({ path: 'headers.idempotency-key' }));
    expect(store.jobs.size).toBe(0);
  });

  it.each([
    ['decoded from UTF-8', 'café'],
    ['beyond Latin-1', 'キー'],
  ])('answers 400 to a non-ASCII Idempotency-Key %s, never taking it for its percent-encoding', async (_name, key) => {
    const { handler } = lambda();
    const encoded = await handler(event({ headers: { 'idempotency-key': encodeURIComponent(key) } }));
    const raw = await handler(event({ headers: { 'idempotency-key': key } }));
    expect(encoded.statusCode).toBe(202);
    expect(raw.statusCode).toBe(400);
  });

  it('reads a base64 body as the bytes the client sent: invalid UTF-8 is a 400, not replaced', async () => {
    // Prepare: API Gateway base64-encodes a body it treats as binary
    const bytes = Buffer.from(JSON.stringify({ type: 'analysis', payload: analysisPayload({ description: 'caf#' }) }), 'latin1');
    bytes[bytes.indexOf('#')] = 0xe9;
    const valid = Buffer.from(JSON.stringify({ type: 'analysis', payload: analysisPayload() }));
    const { handler } = lambda();

    // Act
    const invalid = await handler(event({ body: bytes.toString('base64'), isBase64Encoded: true }));
    const decoded = await handler(event({ body: valid.toString('base64'), isBase64Encoded: true }));

    // Assess
    expect(invalid.statusCode).toBe(400);
    expect(issuesOf(invalid.body)).toMatchObject({ code: 'INVALID_JSON' });
    expect(decoded.statusCode).toBe(202);
  });

  it('answers 415 to a JSON body declared in another charset', async () => {
    const { handler } = lambda();
    const result = await handler(event({ headers: { 'content-type': 'application/json; charset=iso-8859-1' } }));
    expect(result.statusCode).toBe(415);
    expect(issuesOf(result.body)).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('builds the request from the path, query, cookies and method, and returns JSON as text', async () => {
    const request = toRequest(event({ rawPath: '/v1/jobs', rawQueryString: 'limit=2&type=pdf', cookies: ['a=1', 'b=2'], requestContext: { domainName: 'api.example.com', http: { method: 'GET' } } }));
    expect(request.url).toBe('https://api.example.com/v1/jobs?limit=2&type=pdf');
    expect(request.method).toBe('GET');
    expect(request.headers.get('cookie')).toBe('a=1; b=2');
    const { handler } = lambda();
    const result = await handler(event({ rawPath: '/v1/health', requestContext: { http: { method: 'GET' } }, body: null }));
    expect(result).toMatchObject({ statusCode: 200, isBase64Encoded: false, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(result.body)).toMatchObject({ status: 'ok' });
  });
});
