import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LambdaMappingsClient } from '../../../functions/adapters/aws/lambda-mappings-client.js';
import { S3BlobStore } from '../../../functions/adapters/aws/s3-blob-store.js';
import { S3ObjectClient } from '../../../functions/adapters/aws/s3-object-client.js';
import { AwsServiceError } from '../../../functions/adapters/aws/signed-http.js';
import { ConfigurationError, RetryableJobError } from '../../../shared/domain/errors.js';
import { verifySigV4, type ReceivedRequest } from '../../helpers/sigv4-verifier.js';

/**
 * The small S3 and Lambda clients against a scripted HTTP server on 127.0.0.1: each request is
 * recorded and answered by the next scripted answer (200 when the script is empty), so error, retry
 * and signing paths are exercised through the real transport.
 */
type Answer = { status: number; body?: string; headers?: Record<string, string> } | 'reset' | 'hold';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'session/token+with=chars' };
const SECRETS = { [CREDENTIALS.accessKeyId]: CREDENTIALS.secretAccessKey };
/** Spaces, unicode, `+`, `%`, `/` and a reserved character: every rule of S3's key encoding at once. */
const HARD_KEY = 'tenants/t%2Fa/jobs/a b+c/ünï©ødé 100%(1).json';

let server: Server;
let endpoint: string;
const received: ReceivedRequest[] = [];
const script: Answer[] = [];
const sleeps: number[] = [];

function s3Xml(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>R1</RequestId></Error>`;
}

beforeAll(async () => {
  server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: new Uint8Array(Buffer.concat(chunks)) });
      const answer = script.shift() ?? { status: 200, body: 'stored bytes' };
      if (answer === 'reset') return request.socket.destroy();
      if (answer === 'hold') return;
      response.writeHead(answer.status, { 'x-amz-request-id': 'REQ', ...answer.headers });
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received.length = 0;
  script.length = 0;
  sleeps.length = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const retry = { sleep: async (ms: number) => void sleeps.push(ms), random: () => 0.5 };
const s3 = () => new S3ObjectClient({ region: 'eu-west-1', endpoint, credentials: CREDENTIALS, retry });
const blobs = () => new S3BlobStore({ client: s3(), bucket: 'documents' });

describe('Class: S3ObjectClient — errors and retries', () => {
  it('retries a 503 SlowDown with a jittered backoff, then succeeds', async () => {
    // Prepare
    script.push({ status: 503, body: s3Xml('SlowDown', 'Please reduce your request rate.') });

    // Act
    await s3().putObject({ bucket: 'documents', key: 'a.pdf' }, new Uint8Array([1, 2, 3]), { contentType: 'application/pdf' });

    // Assess: sent twice, the same bytes; one wait of random × 100 ms
    expect(received).toHaveLength(2);
    expect(received.map((r) => [...r.body])).toEqual([[1, 2, 3], [1, 2, 3]]);
    expect(sleeps).toEqual([50]);
  });

  it('gives up after three attempts of 500s, and the blob store reports it as retryable for the job', async () => {
    // Prepare
    script.push(...Array.from({ length: 3 }, () => ({ status: 500, body: s3Xml('InternalError', 'We encountered an internal error.') })));

    // Act
    const failed = blobs().put('a.pdf', new Uint8Array([1]), { contentType: 'application/pdf' });

    // Assess
    await expect(failed).rejects.toBeInstanceOf(RetryableJobError);
    expect(received).toHaveLength(3);
    expect(sleeps).toEqual([50, 100]);
  });

  it('fails an attempt whose answer never comes once its socket has been idle too long, and retries it', async () => {
    // Prepare: the first request is never answered
    script.push('hold', { status: 200, body: 'hello' });
    const client = new S3ObjectClient({ region: 'eu-west-1', endpoint, credentials: CREDENTIALS, retry: { ...retry, maxAttempts: 5 }, socketTimeoutMs: 1_000 });

    // Act
    const bytes = await client.getObject({ bucket: 'documents', key: 'a.txt' });

    // Assess
    expect(new TextDecoder().decode(bytes)).toBe('hello');
    expect(received.length).toBeGreaterThanOrEqual(2);
    client.destroy();
  }, 60_000);

  it('retries a dropped connection', async () => {
    // Prepare
    script.push('reset', { status: 200, body: 'hello' });

    // Act
    const bytes = await s3().getObject({ bucket: 'documents', key: 'a.txt' });

    // Assess
    expect(new TextDecoder().decode(bytes)).toBe('hello');
    expect(received).toHaveLength(2);
  });

  it('names an error by its S3 code and does not retry a client error', async () => {
    // Prepare
    script.push({ status: 404, body: s3Xml('NoSuchBucket', 'The specified bucket does not exist') });

    // Act
    const error = await s3().putObject({ bucket: 'documents', key: 'a.pdf' }, new Uint8Array([1]), { contentType: 'application/pdf' }).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: 'NoSuchBucket', message: 'The specified bucket does not exist', $fault: 'client', $metadata: { httpStatusCode: 404, requestId: 'REQ' } });
    expect(received).toHaveLength(1);
  });

  it('the blob store: a missing bucket is a ConfigurationError; NoSuchKey and AccessDenied are "no object"', async () => {
    // Prepare
    script.push(
      { status: 404, body: s3Xml('NoSuchBucket', 'The specified bucket does not exist') },
      { status: 404, body: s3Xml('NoSuchKey', 'The specified key does not exist.') },
      { status: 403, body: s3Xml('AccessDenied', 'Access Denied') },
    );

    // Act
    const put = await blobs().put('a.pdf', new Uint8Array([1]), { contentType: 'application/pdf' }).catch((e: unknown) => e);
    const missing = await blobs().get('gone.json');
    const denied = await blobs().get('elsewhere.json');

    // Assess
    expect(put).toBeInstanceOf(ConfigurationError);
    expect((put as Error).message).toContain('bucket documents');
    expect(missing).toBeUndefined();
    expect(denied).toBeUndefined();
  });

  it('stops at once on an aborted signal', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort();

    // Act
    const error = await s3().getObject({ bucket: 'documents', key: 'a.txt' }, { signal: controller.signal }).catch((e: unknown) => e);

    // Assess
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(received).toHaveLength(0);
    expect(sleeps).toEqual([]);
  });
});

describe('Class: S3ObjectClient — signing', () => {
  it('signs PUT, GET and DELETE as S3 verifies them (checked by a verifier that also accepts the SDK\'s own S3Client)', async () => {
    // Prepare: the verifier accepts what the real SDK sends for the same key (so it judges fairly)
    const sdk = new S3Client({ region: 'eu-west-1', endpoint, forcePathStyle: true, credentials: CREDENTIALS });
    await sdk.send(new PutObjectCommand({ Bucket: 'documents', Key: HARD_KEY, Body: new Uint8Array([7, 8]), ContentType: 'application/json' }));
    await sdk.send(new GetObjectCommand({ Bucket: 'documents', Key: HARD_KEY }));
    sdk.destroy();
    const sdkRequests = received.splice(0);

    // Act
    const client = s3();
    await client.putObject({ bucket: 'documents', key: HARD_KEY }, new Uint8Array([7, 8]), { contentType: 'application/json' });
    await client.getObject({ bucket: 'documents', key: HARD_KEY });
    await client.deleteObject({ bucket: 'documents', key: HARD_KEY });
    client.destroy();

    // Assess: the same wire path as the SDK's, every signature valid, the session token sent
    expect(sdkRequests.map((r) => verifySigV4(r, SECRETS))).toEqual([{ ok: true }, { ok: true }]);
    expect(received.map((r) => verifySigV4(r, SECRETS))).toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['PUT', 'GET', 'DELETE'].map((method) => `${method} ${sdkRequests[0]!.url.split('?')[0]}`));
    expect(received[0]!.headers).toMatchObject({ 'x-amz-security-token': CREDENTIALS.sessionToken, 'content-type': 'application/json', 'content-length': '2' });
    expect(received[0]!.headers['authorization']).toContain('x-amz-security-token');
  });

  it('a tampered request fails the verifier (it can fail)', async () => {
    // Act
    await s3().putObject({ bucket: 'documents', key: 'a.json' }, new Uint8Array([1]), { contentType: 'application/json' });
    const tampered = { ...received[0]!, url: received[0]!.url.replace('a.json', 'b.json') };

    // Assess
    expect(verifySigV4(tampered, SECRETS).ok).toBe(false);
  });

  it.each([
    ['on AWS (virtual-hosted style)', undefined],
    ['on a local endpoint (path style)', 'http://127.0.0.1:4566'],
  ])('presigns the same URL as the SDK\'s s3-request-presigner, %s', async (_where, localEndpoint) => {
    // Prepare
    const signingDate = new Date('2026-12-06T10:20:30Z');
    const disposition = 'attachment; filename="result-0193.json"';
    // By default the SDK also signs checksum parameters into a presigned GET (x-amz-checksum-mode, and a
    // CRC32 of the empty request body); a browser download has no use for them, so they are off here.
    const sdk = new S3Client({ region: 'eu-west-1', credentials: CREDENTIALS, responseChecksumValidation: 'WHEN_REQUIRED', requestChecksumCalculation: 'WHEN_REQUIRED', ...(localEndpoint ? { endpoint: localEndpoint, forcePathStyle: true } : {}) });
    const light = new S3ObjectClient({ region: 'eu-west-1', endpoint: localEndpoint, credentials: CREDENTIALS, now: () => signingDate });

    // Act
    const expected = await getSignedUrl(sdk, new GetObjectCommand({ Bucket: 'conveyor-prod-documents', Key: HARD_KEY, ResponseContentDisposition: disposition }), { expiresIn: 900, signingDate });
    const actual = await light.presignGetObject({ bucket: 'conveyor-prod-documents', key: HARD_KEY }, { expiresInSeconds: 900, responseContentDisposition: disposition });

    // Assess
    expect(actual).toBe(expected);
    expect(new URL(actual).searchParams.get('X-Amz-Security-Token')).toBe(CREDENTIALS.sessionToken);
    expect(new URL(actual).host).toBe(localEndpoint ? '127.0.0.1:4566' : 'conveyor-prod-documents.s3.eu-west-1.amazonaws.com');
    sdk.destroy();
  });
});

describe('Class: LambdaMappingsClient', () => {
  const lambda = () => new LambdaMappingsClient({ region: 'eu-west-1', endpoint, credentials: CREDENTIALS, retry });

  it('sends UpdateEventSourceMapping as Lambda\'s REST-JSON API takes it, signed', async () => {
    // Prepare
    script.push({ status: 202, body: '{"State":"Disabling"}', headers: { 'content-type': 'application/json' } });

    // Act
    await lambda().updateEventSourceMapping({ UUID: '6f2c1a3e-1b2c-4d5e-8f90-123456789abc', Enabled: false });

    // Assess
    expect(received).toHaveLength(1);
    expect(`${received[0]!.method} ${received[0]!.url}`).toBe('PUT /2015-03-31/event-source-mappings/6f2c1a3e-1b2c-4d5e-8f90-123456789abc');
    expect(JSON.parse(new TextDecoder().decode(received[0]!.body))).toEqual({ Enabled: false });
    expect(verifySigV4(received[0]!, SECRETS, { doubleEncodePath: true })).toEqual({ ok: true });
    expect(received[0]!.headers['authorization']).toContain('/eu-west-1/lambda/aws4_request');
  });

  it('names an error by x-amzn-ErrorType (ResourceInUseException, not retried here) and retries throttling', async () => {
    // Prepare
    script.push(
      { status: 400, body: '{"Type":"User","message":"The resource is in use."}', headers: { 'x-amzn-errortype': 'ResourceInUseException:http://internal.amazon.com/coral/com.amazonaws.lambda/' } },
      { status: 429, body: '{"Type":"User","message":"Rate exceeded","Reason":"CallerRateLimitExceeded"}', headers: { 'x-amzn-errortype': 'TooManyRequestsException' } },
      { status: 202, body: '{}' },
    );

    // Act
    const busy = await lambda().updateEventSourceMapping({ UUID: 'u-1', Enabled: true }).catch((e: unknown) => e);
    await lambda().updateEventSourceMapping({ UUID: 'u-1', Enabled: true });

    // Assess
    expect(busy).toMatchObject({ name: 'ResourceInUseException', message: 'The resource is in use.', $metadata: { httpStatusCode: 400 } });
    expect(received).toHaveLength(3);
    expect(sleeps).toEqual([50]);
  });
});
