import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConveyorConfig } from '../../shared/config/env.js';
import { lambdaEsbuildOptions } from '../../infra/bundling.js';
import { serveHttpApi, type HttpApiHandler, type LocalHttpApi } from '../../local/api-gateway.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * The API function as the CDK deploys it: bundled with infra/bundling.ts (minified ESM, the SDK inside,
 * its credential chain reduced to the environment), imported like Lambda imports it, against a local
 * cloud's table and queues. The job it accepts is run by the local cloud's consumer.
 */
function environmentOf(config: ConveyorConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));
}

describe('E2E: the bundled API entry', () => {
  let cloud: ApiClient;
  let entryApi: LocalHttpApi | undefined;
  const out = mkdtempSync(join(tmpdir(), 'conveyor-bundled-entry-'));
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    cloud = await bootLocalCloud();
    const outfile = join(out, 'index.mjs');
    await build({ ...lambdaEsbuildOptions(fileURLToPath(new URL('../../functions/entry/api.ts', import.meta.url)), outfile), logLevel: 'silent' });
    // Lambda's environment: the function's variables and the role's credentials (any, locally).
    Object.assign(process.env, environmentOf(cloud.cloud.config), { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_SESSION_TOKEN: 'local', LOG_LEVEL: 'silent' });
    const { handler } = (await import(pathToFileURL(outfile).href)) as { handler: HttpApiHandler };
    entryApi = await serveHttpApi(handler);
  });

  afterAll(async () => {
    await entryApi?.close();
    await cloud?.cloud.stop();
    process.env = savedEnv;
    rmSync(out, { recursive: true, force: true });
  });

  it('accepts a job with its bundled SDK clients, and the job runs', async () => {
    // Act
    const response = await fetch(`${entryApi!.url}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${cloud.cloud.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'analysis', payload: analysisPayload() }),
    });
    const body = (await response.json()) as { jobId: string; status: string };

    // Assess
    expect(response.status).toBe(202);
    expect(body.status).toBe('QUEUED');
    expect(await cloud.waitForStatus(body.jobId, ['SUCCEEDED'], 30_000)).toMatchObject({ status: 'SUCCEEDED' });
  });
});
