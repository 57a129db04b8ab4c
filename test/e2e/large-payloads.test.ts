import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'conveyor/client';
import { createDynamoClient } from '../../functions/adapters/aws/clients.js';
import { PAYLOAD_INLINE_BYTES, RESULT_INLINE_BYTES } from '../../functions/job-data/job-data.js';
import { keys } from '../../shared/config/table.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { contractFetch } from '../helpers/contract.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * Large payloads and results through the local cloud, as a client sees them: over HTTP in, S3 and
 * DynamoDB as the functions leave them, presigned URLs out. Results are shaped by a test-only wrapper
 * of the analysis handler: a toolId `result:<bytes>` returns a result whose JSON is exactly that long.
 */

const OTHER_KEY = 'cvk_local_other'; // tenant "other", scope jobs
let api: ApiClient;
let s3: S3Client;

/** A result whose JSON is exactly `bytes` long: {"blob":"rrr…"} is 11 bytes plus the string. */
function resultOf(bytes: number): { blob: string } {
  return { blob: 'r'.repeat(bytes - 11) };
}

/** An analysis payload whose JSON is exactly `bytes` long. */
function payloadOf(bytes: number, toolId = 'boundary'): PayloadOf<'analysis'> {
  const base = { toolId, url: 'https://example.com/doc', description: '' };
  return { ...base, description: 'x'.repeat(bytes - JSON.stringify(base).length) };
}

beforeAll(async () => {
  api = await bootLocalCloud({
    handlers: (real) => ({
      analysis: async (payload, context) => {
        const size = /^result:(\d+)$/.exec(payload.toolId)?.[1];
        return size ? resultOf(Number(size)) : real.analysis(payload, context);
      },
    }),
  });
  s3 = new S3Client({ region: 'us-east-1', endpoint: api.cloud.endpoints.s3, forcePathStyle: true, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}, 60_000);

afterAll(async () => {
  s3?.destroy();
  await api?.cloud.stop();
});

/** The keys the job has in the job-data bucket. */
async function objectsOf(tenant: string, jobId: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: api.cloud.config.CONVEYOR_JOB_DATA_BUCKET, Prefix: `tenants/${tenant}/jobs/${jobId}/` }));
  return (listed.Contents ?? []).map((o) => o.Key!).sort();
}

/** The job's item exactly as the table holds it. */
async function itemOf(jobId: string): Promise<Record<string, unknown>> {
  const dynamo = createDynamoClient({ region: 'us-east-1', endpoints: { dynamodb: api.cloud.endpoints.dynamodb } });
  const { Item } = await dynamo.send(new GetCommand({ TableName: api.cloud.config.CONVEYOR_TABLE_NAME, Key: keys.job(jobId)!, ConsistentRead: true }));
  dynamo.destroy();
  return Item!;
}

async function enqueue(payload: unknown, key?: string): Promise<string> {
  const { status, body } = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload }, ...(key ? { key } : {}) });
  expect(status, JSON.stringify(body)).toBe(202);
  return body.jobId as string;
}

describe('Large payloads: a 5 MB document through the API, S3 and the consumer', () => {
  it('stores the payload in S3 under the tenant, keeps the record small, and the handler sees the whole document', async () => {
    // Prepare: 1,000,000 words, 5,000,000 characters
    const description = 'word '.repeat(1_000_000);

    // Act
    const jobId = await enqueue({ toolId: 'document', url: 'https://example.com/document', description });
    const job = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 120_000);

    // Assess: the handler ran on every character
    expect(job.status).toBe('SUCCEEDED');
    expect(job.result).toMatchObject({ counts: { characters: 5_000_000, words: 1_000_000 } });
    // The record holds a reference, not the payload: one write unit per write
    const item = await itemOf(jobId);
    expect(item.payload).toBeUndefined();
    expect(item.payloadRef).toMatchObject({ bytes: expect.any(Number) as number, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) as string });
    expect(JSON.stringify(item).length).toBeLessThan(1_024);
    // The object is under the tenant's prefix, named by its digest
    const ref = item.payloadRef as { bytes: number; sha256: string };
    expect(await objectsOf('dev', jobId)).toEqual([`tenants/dev/jobs/${jobId}/payload-${ref.sha256}.json`]);
    // GET shows its size and a presigned URL in place of the payload, and the URL gives it back
    expect(job.payload).toBeUndefined();
    expect(job.payloadRef).toEqual(ref);
    const link = job.payloadDownload as { url: string; bytes: number; expiresAt: string };
    expect(link.bytes).toBe(ref.bytes);
    const downloaded = await fetch(link.url);
    expect(downloaded.status).toBe(200);
    expect(((await downloaded.json()) as { description: string }).description).toBe(description);
  }, 180_000);

  it('stores a 2 MB result in S3 and answers GET with a presigned URL instead of the result', async () => {
    // Prepare
    const bytes = 2 * 1024 * 1024;

    // Act
    const jobId = await enqueue({ toolId: `result:${bytes}`, url: 'https://example.com/r', description: 'produce a large result' });
    const job = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 60_000);

    // Assess
    expect(job.status).toBe('SUCCEEDED');
    expect(job.result).toBeUndefined();
    expect(job.resultRef).toMatchObject({ bytes });
    const item = await itemOf(jobId);
    expect(item.result).toBeUndefined();
    expect(JSON.stringify(item).length).toBeLessThan(1_024);
    expect(await objectsOf('dev', jobId)).toEqual([`tenants/dev/jobs/${jobId}/result-${(job.resultRef as { sha256: string }).sha256}.json`]);
    const downloaded = await fetch((job.resultDownload as { url: string }).url);
    expect(await downloaded.json()).toEqual(resultOf(bytes));
    // The typed client's wait() returns it as if it were inline (the API's answers checked against the contract, S3's not)
    const apiOrigin = new URL(api.cloud.apiUrl).origin;
    const conveyor = createClient({ endpoint: api.cloud.apiUrl, apiKey: api.cloud.apiKey, fetch: (input, init) => (new URL(String(input)).origin === apiOrigin ? contractFetch(input, init) : fetch(input, init)) });
    expect(await conveyor.wait(jobId as never)).toEqual(resultOf(bytes));
  }, 120_000);
});

describe('Large payloads: the inline limits, just under and just over', () => {
  it(`keeps a ${PAYLOAD_INLINE_BYTES}-byte payload in the record and stores a ${PAYLOAD_INLINE_BYTES + 1}-byte one in S3`, async () => {
    // Act
    const under = await enqueue(payloadOf(PAYLOAD_INLINE_BYTES, 'under'));
    const over = await enqueue(payloadOf(PAYLOAD_INLINE_BYTES + 1, 'over'));

    // Assess
    expect((await itemOf(under)).payload).toEqual(payloadOf(PAYLOAD_INLINE_BYTES, 'under'));
    expect(await objectsOf('dev', under)).toEqual([]);
    expect((await itemOf(over)).payload).toBeUndefined();
    expect((await itemOf(over)).payloadRef).toMatchObject({ bytes: PAYLOAD_INLINE_BYTES + 1 });
    expect(await objectsOf('dev', over)).toHaveLength(1);
    // Both run the same way
    for (const jobId of [under, over]) expect((await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000)).status).toBe('SUCCEEDED');
  }, 60_000);

  it(`answers a ${RESULT_INLINE_BYTES}-byte result inline and a ${RESULT_INLINE_BYTES + 1}-byte one by URL`, async () => {
    // Act
    const under = await enqueue({ toolId: `result:${RESULT_INLINE_BYTES}`, url: 'https://example.com/r', description: 'x' });
    const over = await enqueue({ toolId: `result:${RESULT_INLINE_BYTES + 1}`, url: 'https://example.com/r', description: 'x' });
    const [inline, stored] = [await api.waitForStatus(under, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000), await api.waitForStatus(over, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000)];

    // Assess
    // (an analysis job's view adds the assessment computed from its payload; the stored result is returned as written)
    expect(inline.result).toMatchObject(resultOf(RESULT_INLINE_BYTES));
    expect(inline.resultDownload).toBeUndefined();
    expect(stored.result).toBeUndefined();
    expect(stored.resultRef).toMatchObject({ bytes: RESULT_INLINE_BYTES + 1 });
    expect(await (await fetch((stored.resultDownload as { url: string }).url)).json()).toEqual(resultOf(RESULT_INLINE_BYTES + 1));
  }, 60_000);
});

describe('Large payloads: another tenant', () => {
  it('cannot read a tenant\'s stored payload or result (404), and its own references stay under its own prefix', async () => {
    // Prepare: a job of tenant "dev" with both a stored payload and a stored result
    const devJob = await enqueue(payloadOf(PAYLOAD_INLINE_BYTES * 4, `result:${RESULT_INLINE_BYTES * 4}`));
    const done = await api.waitForStatus(devJob, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000);
    expect(done).toMatchObject({ status: 'SUCCEEDED', payloadRef: expect.any(Object) as object, resultRef: expect.any(Object) as object });

    // Act: tenant "other" asks for it, and sends a payload that names dev's object as text
    const read = await api.request('GET', `/v1/jobs/${devJob}`, { key: OTHER_KEY });
    const forged = { ...payloadOf(PAYLOAD_INLINE_BYTES * 2, 'forged'), description: `tenants/dev/jobs/${devJob}/payload-${(done.payloadRef as { sha256: string }).sha256}.json `.repeat(100) };
    const otherJob = await enqueue(forged, OTHER_KEY);
    const otherDone = (await api.request('GET', `/v1/jobs/${otherJob}`, { key: OTHER_KEY })).body as Record<string, unknown>;

    // Assess: 404, as for a job that does not exist; "other"'s payload is its own data, kept under its own prefix
    expect(read.status).toBe(404);
    expect(read.body).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(JSON.stringify(read.body)).not.toContain('tenants/dev');
    expect(await objectsOf('other', otherJob)).toHaveLength(1);
    expect((otherDone.payloadDownload as { url: string }).url).toContain(`/tenants/other/jobs/${otherJob}/payload-`);
    const downloaded = (await (await fetch((otherDone.payloadDownload as { url: string }).url)).json()) as unknown;
    expect(downloaded).toEqual(forged);
  }, 60_000);
});

describe('Large payloads: the body limits', () => {
  it('answers 413 for a body over 5 MiB, and API Gateway’s 413 for a body whose Lambda event would pass 6 MiB once escaped', async () => {
    // Prepare: 5 MiB of description; and 2,200,000 quotes — a 4.4 MB body whose event escapes to 8.8 MB
    const tooLong = { type: 'analysis', payload: { toolId: 't', url: 'https://example.com/', description: 'x'.repeat(5 * 1024 * 1024) } };
    const quotes = { type: 'analysis', payload: { toolId: 't', url: 'https://example.com/', description: '"'.repeat(2_200_000) } };

    // Act
    const overCap = await api.request('POST', '/v1/jobs', { body: tooLong });
    const overEvent = await api.request('POST', '/v1/jobs', { body: quotes });

    // Assess
    expect(overCap).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect(JSON.stringify(quotes).length).toBeLessThan(5 * 1024 * 1024);
    expect(overEvent).toMatchObject({ status: 413, body: { message: 'Request Too Long' } });
  }, 60_000);
});
