import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../shared/config/table.js';
import { createClients } from '../../functions/wiring.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

let api: ApiClient;
const ids: string[] = [];

beforeAll(async () => {
  api = await bootLocalCloud();
  // Sequential, so createdAt order is enqueue order.
  for (let i = 0; i < 7; i++) {
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: `list-${i}` }) } });
    ids.push(posted.body.jobId);
    // createdAt has millisecond resolution; keep the order unambiguous.
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  // A report on an analysis job that does not exist: the pdf job ends FAILED at once.
  const pdf = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
  ids.push(pdf.body.jobId);
  for (const id of ids) await api.waitForStatus(id, ['SUCCEEDED', 'FAILED']);
});

afterAll(async () => {
  await api?.cloud.stop();
});

describe('E2E: GET /v1/jobs — the tenant\'s jobs, newest first, paginated', () => {
  it('pages through every job once, newest first, with an opaque cursor', async () => {
    // Act
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await api.request('GET', `/v1/jobs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.jobs.map((j: { jobId: string }) => j.jobId));
      cursor = page.body.cursor;
      pages++;
    } while (cursor && pages < 10);

    // Assess
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by type and by status', async () => {
    const pdf = await api.request('GET', '/v1/jobs?type=pdf');
    const failed = await api.request('GET', '/v1/jobs?status=FAILED');
    const succeededAnalysis = await api.request('GET', '/v1/jobs?type=analysis&status=SUCCEEDED&limit=100');

    expect(pdf.body.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([ids[7]]);
    expect(failed.body.jobs).toMatchObject([{ jobId: ids[7], status: 'FAILED', error: { code: 'ANALYSIS_NOT_FOUND' } }]);
    expect(succeededAnalysis.body.jobs).toHaveLength(7);
    expect(succeededAnalysis.body.cursor).toBeUndefined();
  });

  it('shows a finished job\'s expiry and never returns an expired record, even before TTL deletes it', async () => {
    // Prepare: expire one job by hand (DynamoDB TTL deletes lazily, up to days later)
    const victim = ids[3]!;
    const before = await api.request('GET', `/v1/jobs/${victim}`);
    const { dynamo } = createClients(api.cloud.config);
    await dynamo.send(new UpdateCommand({
      TableName: api.cloud.config.CONVEYOR_TABLE_NAME,
      Key: keys.job(victim),
      UpdateExpression: 'SET #ttl = :past',
      ExpressionAttributeNames: { '#ttl': 'ttl' },
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }));
    dynamo.destroy();

    // Act
    const read = await api.request('GET', `/v1/jobs/${victim}`);
    const listed = await api.request('GET', '/v1/jobs?limit=100');

    // Assess
    expect(Date.parse(before.body.retainUntil) - Date.now()).toBeGreaterThan(6 * 86_400_000); // analysis keeps SUCCEEDED 7 days
    expect(before.body.expiresAt).toBeUndefined();
    expect(read.status).toBe(404);
    expect(listed.body.jobs.map((j: { jobId: string }) => j.jobId)).not.toContain(victim);
    expect(listed.body.jobs).toHaveLength(ids.length - 1);
  });

  it('keeps tenants apart: another tenant lists none of these', async () => {
    const other = await api.request('GET', '/v1/jobs', { key: 'cvk_local_other' });
    expect(other).toMatchObject({ status: 200, body: { jobs: [] } });
  });

  it('refuses bad parameters and foreign or forged cursors with a 400 naming them', async () => {
    const page = await api.request('GET', '/v1/jobs?type=analysis&limit=2');
    const cursor = page.body.cursor as string;
    const forged = Buffer.from(JSON.stringify({ v: 1, s: 'jobs|*|*', k: 'TENANT#other' })).toString('base64url');

    expect(await api.request('GET', '/v1/jobs?status=DONE')).toMatchObject({ status: 400, body: { error: { code: 'VALIDATION_FAILED', issues: [{ path: 'query.status' }] } } });
    expect(await api.request('GET', '/v1/jobs?type=fax')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'query.type' }] } } });
    expect(await api.request('GET', '/v1/jobs?limit=101')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'query.limit' }] } } });
    expect(await api.request('GET', '/v1/jobs?sort=asc')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'query.sort' }] } } });
    expect(await api.request('GET', '/v1/jobs?cursor=not-a-cursor')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'cursor' }] } } });
    expect(await api.request('GET', `/v1/jobs?cursor=${forged}`)).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'cursor' }] } } });
    expect(await api.request('GET', `/v1/jobs?type=pdf&cursor=${cursor}`)).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'cursor', message: expect.stringContaining('for this listing') }] } } });
    expect((await api.request('GET', `/v1/jobs?type=analysis&limit=2&cursor=${cursor}`)).status).toBe(200);
  });
});
