import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoApiKeyAdmin } from '../../functions/adapters/aws/dynamo-api-key-admin.js';
import { MAX_BODY_BYTES } from '../../functions/api/routes/jobs.js';
import { createClients } from '../../functions/wiring.js';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

describe('E2E: per-tenant enqueue limit on the local Upstash endpoint', () => {
  let api: ApiClient;
  beforeAll(async () => {
    api = await bootLocalCloud({ rateLimits: { tenantEnqueue: { limit: 3, windowSeconds: 60 } } });
  });
  afterAll(async () => {
    await api?.cloud.stop();
  });

  it('answers 429 with Retry-After past the limit, and counts each tenant apart', async () => {
    // Prepare
    const post = (key?: string) => api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload() }, ...(key ? { key } : {}) });

    // Act
    const accepted = [await post(), await post(), await post()];
    const refused = await post();
    const otherTenant = await post(LOCAL_API_KEYS[1]!.key);

    // Assess
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(accepted[2]!.headers.get('ratelimit-remaining')).toBe('0');
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMITED', message: expect.stringContaining('3 jobs per 60 s') });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(otherTenant.status).toBe(202);
    expect(api.cloud.notices.join('\n')).toMatch(/rate limits ON/);
  });

  it('never limits reads', async () => {
    // A GET is never limited, even with the tenant's budget spent.
    const missing = await api.request('GET', '/v1/jobs/00000000-0000-4000-8000-000000000000');
    expect(missing.status).toBe(404);
  });
});

describe('E2E: what the per-tenant enqueue limit counts', () => {
  let api: ApiClient;
  beforeAll(async () => {
    api = await bootLocalCloud({ rateLimits: { tenantEnqueue: { limit: 3, windowSeconds: 60 } } });
    const clients = createClients(api.cloud.config);
    const keys = new DynamoApiKeyAdmin({ client: clients.dynamo, tableName: api.cloud.config.CONVEYOR_TABLE_NAME });
    for (const tenant of ['limits-a', 'limits-b']) await keys.put(`cvk_test_${tenant}`, { tenant, keyId: tenant, scopes: ['jobs'] });
  });
  afterAll(async () => {
    await api?.cloud.stop();
  });

  it('charges nothing for refused requests: 400, 413 and 415 leave the budget for valid jobs', async () => {
    // Prepare
    const key = 'cvk_test_limits-a';
    const post = (body: unknown, headers: Record<string, string> = {}) => api.request('POST', '/v1/jobs', { key, headers, ...(typeof body === 'string' ? { rawBody: body } : { body }) });

    // Act: more refused requests than the whole budget, then the budget's worth of valid jobs
    const refused = [
      ...(await Promise.all(Array.from({ length: 5 }, () => post({ type: 'analysis', payload: analysisPayload({ url: 'ftp://nope' }) })))),
      await post({ type: 'analysis', payload: analysisPayload({ description: 'x'.repeat(MAX_BODY_BYTES) }) }),
      await post('a=1', { 'content-type': 'application/x-www-form-urlencoded' }),
      await post({ type: 'analysis', payload: analysisPayload(), runAt: '2020-01-01T00:00:00Z' }),
    ];
    const accepted = [await post({ type: 'analysis', payload: analysisPayload() }), await post({ type: 'analysis', payload: analysisPayload() }), await post({ type: 'analysis', payload: analysisPayload() })];
    const over = await post({ type: 'analysis', payload: analysisPayload() });

    // Assess
    expect(refused.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 413, 415, 400]);
    expect(accepted.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(accepted.map((r) => r.headers.get('ratelimit-remaining'))).toEqual(['2', '1', '0']);
    expect(over.status).toBe(429);
  });

  it('charges an idempotent replay (200) and a key mismatch (409) like a new job', async () => {
    // Prepare
    const key = 'cvk_test_limits-b';
    const post = (payload: Record<string, unknown>) => api.request('POST', '/v1/jobs', { key, headers: { 'idempotency-key': 'order-1' }, body: { type: 'analysis', payload } });

    // Act
    const first = await post(analysisPayload());
    const replay = await post(analysisPayload());
    const mismatch = await post(analysisPayload({ toolId: 'other' }));
    const fourth = await api.request('POST', '/v1/jobs', { key, body: { type: 'analysis', payload: analysisPayload() } });

    // Assess
    expect([first.status, replay.status, mismatch.status]).toEqual([202, 200, 409]);
    expect(replay.headers.get('ratelimit-remaining')).toBe('1');
    expect(fourth.status).toBe(429);
  });
});

describe('E2E: per-provider consumer limit', () => {
  const starts: number[] = [];
  const logs: string[] = [];
  let api: ApiClient;
  beforeAll(async () => {
    api = await bootLocalCloud({
      logLevel: 'info',
      writeLog: (line) => logs.push(line),
      rateLimits: { providers: { analysis: { provider: 'test-provider', limit: 2, windowSeconds: 1 } } },
      handlers: {
        analysis: async (payload) => {
          starts.push(Date.now());
          return { toolId: payload.toolId };
        },
      },
    });
  });
  afterAll(async () => {
    await api?.cloud.stop();
  });

  it('holds jobs over the limit back with a delay — none fails, none uses an extra attempt', async () => {
    // Act
    const began = Date.now();
    // A shared 2 s delay makes all six visible at once, however slowly the machine posts them.
    const posted = await Promise.all(
      Array.from({ length: 6 }, (_, i) => api.request('POST', '/v1/jobs', { body: { type: 'analysis', delaySeconds: 2, payload: analysisPayload({ toolId: `p-${i}` }) } })),
    );
    const jobs = await Promise.all(posted.map((p) => api.waitForStatus(p.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000)));

    // Assess
    expect(jobs.map((j) => [j.status, j.attempt])).toEqual(Array.from({ length: 6 }, () => ['SUCCEEDED', 1]));
    expect(starts).toHaveLength(6);
    // Visible after 2 s, then 2 per second: the 5th and 6th cannot start before two more windows passed.
    expect(Math.max(...starts) - began).toBeGreaterThanOrEqual(4_000);
    expect(logs.filter((l) => l.includes('job requeued without using an attempt')).length).toBeGreaterThanOrEqual(1);
  });
});

describe('E2E: `npm start` says whether rate limits are on', () => {
  const run = async (env: NodeJS.ProcessEnv): Promise<string> => {
    const dataDir = mkdtempSync(join(tmpdir(), 'conveyor-start-'));
    const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', 'local/start.ts'], {
      env: { ...env, PORT: '0', CONVEYOR_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`npm start did not come up: ${output}`)), 45_000);
        child.stdout.on('data', () => {
          if (output.includes('Ctrl-C stops')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', (code) => reject(new Error(`npm start exited ${code}: ${output}`)));
      });
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
    return output;
  };

  it('starts redis-server behind the Upstash endpoint and turns limits on', async () => {
    const output = await run(process.env);
    expect(output).toMatch(/Upstash\s+http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toMatch(/rate limits ON/);
  });

  it('still starts without redis-server on the machine, limits off, and says why', async () => {
    // Prepare: a PATH holding node and nothing else.
    const bin = mkdtempSync(join(tmpdir(), 'conveyor-bin-'));
    symlinkSync(process.execPath, join(bin, 'node'));
    try {
      // Act
      const output = await run({ ...process.env, PATH: bin });

      // Assess
      expect(output).toMatch(/rate limits OFF/);
      expect(output).toMatch(/redis-server not found/);
      expect(output).toMatch(/API\s+http:\/\/127\.0\.0\.1:\d+/);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
