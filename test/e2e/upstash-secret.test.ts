import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConveyorConfig } from '../../shared/config/env.js';
import { serveHttpApi, type HttpApiHandler, type LocalHttpApi } from '../../local/api-gateway.js';
import { tryStartUpstash, type UpstashServer } from '../../local/upstash/index.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * The API's Lambda entry (functions/entry/api.ts) as it starts on AWS: CONVEYOR_UPSTASH_SECRET names
 * a secret; Secrets Manager (mocked: the one AWS service with no local server here) answers with the
 * URL and token of the local Upstash endpoint over a real redis-server; the limit is then enforced.
 * Table, queues and keys are a local cloud's, whose own API runs without limits.
 */
const SECRET = 'conveyor/e2e/upstash';
const secretsMock = mockClient(SecretsManagerClient);

/** A parsed config back as the environment a deployed function would get. */
function environmentOf(config: ConveyorConfig): Record<string, string> {
  return Object.fromEntries(Object.entries(config).filter(([, v]) => v !== undefined).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : String(v)]));
}

describe('E2E: the API entry reads its Upstash credentials from Secrets Manager at cold start', () => {
  let cloud: ApiClient;
  let upstash: UpstashServer | undefined;
  let entryApi: LocalHttpApi | undefined;
  const savedEnv = { ...process.env };

  beforeAll(async () => {
    cloud = await bootLocalCloud();
    const started = await tryStartUpstash();
    if (!started.server) throw new Error(`this test needs redis-server: ${started.reason}`);
    upstash = started.server;
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: JSON.stringify({ url: upstash.url, token: upstash.token }) });
    for (const name of ['UPSTASH_REDIS_REST_URL', 'UPSTASH_REDIS_REST_TOKEN']) delete process.env[name];
    Object.assign(process.env, environmentOf(cloud.cloud.config), { CONVEYOR_UPSTASH_SECRET: SECRET, CONVEYOR_TENANT_ENQUEUE_LIMIT: '2/60', LOG_LEVEL: 'silent' });

    // The cold start: importing the entry parses the env and awaits the secret.
    const { handler } = await import('../../functions/entry/api.js');
    entryApi = await serveHttpApi(handler as unknown as HttpApiHandler);
  });

  afterAll(async () => {
    await entryApi?.close();
    await upstash?.close();
    await cloud?.cloud.stop();
    process.env = savedEnv;
    secretsMock.restore();
  });

  it('enforces the tenant limit on the Upstash database the secret names, reading the secret once', async () => {
    // Prepare
    const body = () => JSON.stringify({ type: 'analysis', payload: analysisPayload() });
    const post = (url: string) => fetch(`${url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${cloud.cloud.apiKey}`, 'content-type': 'application/json' }, body: body() });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await post(entryApi!.url)).status);
    const unlimited: number[] = [];
    for (let i = 0; i < 3; i++) unlimited.push((await post(cloud.cloud.apiUrl)).status);

    // Assess: the entry limits (2 per 60 s), the local cloud's own API (no Upstash) does not
    expect(statuses).toEqual([202, 202, 429]);
    expect(unlimited).toEqual([202, 202, 202]);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(secretsMock.commandCalls(GetSecretValueCommand)[0]!.args[0].input).toEqual({ SecretId: SECRET });
  });
});
