import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, verify } from '../../functions/webhooks/signature.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';
import { runProcess } from '../helpers/processes.js';
import { refusedPort, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

/**
 * Completion webhooks as a user and an operator see them, through the local cloud (the real SDK
 * against the local SQS and DynamoDB): every attempt on the job, the webhooks row of the queue
 * overview, and the webhooks DLQ listed and redriven with the `conveyor` CLI.
 */
const secret = 'whsec_operations_test_secret';
const ATTEMPTS = 3;
let api: ApiClient;
let receiver: WebhookReceiver;
/** The port of a receiver that is down (nothing listens) until the test brings it up. */
let downPort: number;
let downReceiver: WebhookReceiver | undefined;

beforeAll(async () => {
  receiver = await startWebhookReceiver({ failureStatus: 503 });
  downPort = await refusedPort();
  api = await bootLocalCloud({ webhooks: { secret, maxAttempts: ATTEMPTS, backoff: { baseSeconds: 1, maxSeconds: 1 } } });
});

afterAll(async () => {
  await api?.cloud.stop();
  await Promise.all([receiver?.close(), downReceiver?.close()]);
});

const conveyor = (args: string[]) => runProcess(process.execPath, ['cli/conveyor.mjs', ...args], { env: { ...process.env, CONVEYOR_ENDPOINT: api.cloud.apiUrl, CONVEYOR_API_KEY: 'cvk_local_dev', NO_COLOR: '1' } });

async function webhookOf(jobId: string, state: string, timeoutMs = 30_000) {
  return eventually(async () => {
    const job = (await api.request('GET', `/v1/jobs/${jobId}`)).body;
    return job.webhook?.state === state ? job.webhook : undefined;
  }, timeoutMs, `webhook ${state}`);
}

describe('E2E: operating completion webhooks', { timeout: 120_000 }, () => {
  it("shows every attempt on the job: a receiver that fails, then recovers", async () => {
    // Prepare
    receiver.failures.set('/recovering', 2);

    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl: `${receiver.url}/recovering` } });
    const webhook = await webhookOf(posted.body.jobId, 'delivered');

    // Assess
    expect(webhook).toMatchObject({ state: 'delivered', attempts: 3 });
    expect(webhook.recent.map((a: { status?: number }) => a.status)).toEqual([503, 503, 204]);
    expect(webhook.recent[0].nextAttemptAt > webhook.recent[0].at).toBe(true);
    expect(webhook.recent[2]).not.toHaveProperty('nextAttemptAt');
  });

  it('dead-letters a delivery to a receiver that stays down, lists it with the CLI and the overview, and redrives it once the receiver is back', async () => {
    // Prepare: a receiver down until the DLQ
    const callbackUrl = `http://127.0.0.1:${downPort}/down`;
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl } });
    const jobId: string = posted.body.jobId;
    const dead = await webhookOf(jobId, 'dead-lettered');
    expect(dead).toMatchObject({ attempts: ATTEMPTS });
    expect(dead.recent.map((a: { error?: string }) => a.error)).toEqual(Array(ATTEMPTS).fill('connection-refused'));
    await eventually(async () => ((await api.request('GET', '/v1/queues')).body.webhooks?.dlq.visible === 1 ? true : undefined), 20_000, 'the delivery in the webhooks DLQ');

    // Act: list
    const [table, json, queues] = await Promise.all([conveyor(['dlq', 'list', 'webhooks']), conveyor(['dlq', 'list', 'webhooks', '--json']), conveyor(['queues'])]);

    // Assess: job id, tenant, callback URL, last status, attempts
    expect(table.stderr).toBe('');
    expect(table.stdout).toContain('webhooks DLQ: 1 message(s), 1 delivery(ies) listed');
    expect(table.stdout).toMatch(new RegExp(`${jobId}\\s+dev\\s+${callbackUrl.replace(/[.]/g, '\\.')}\\s+connection-refused\\s+${ATTEMPTS}\\s`));
    expect(JSON.parse(json.stdout)).toMatchObject({ type: 'webhooks', deadLettered: 1, deliveries: [{ jobId, tenant: 'dev', callbackUrl, webhook: { state: 'dead-lettered', attempts: ATTEMPTS } }] });
    expect(queues.stdout).toMatch(/\nwebhooks\s+0\s+0\s+0\s+1\s/);

    // Act: the receiver comes back; redrive
    downReceiver = await startWebhookReceiver({ port: downPort });
    const redriveAt = Math.floor(Date.now() / 1000);
    const redriven = await conveyor(['dlq', 'redrive', 'webhooks']);

    // Assess: delivered again, freshly signed, its attempts counted on
    expect(redriven.stderr).toBe('');
    expect(redriven.stdout).toContain('webhooks: 1 webhook delivery(ies) to attempt again');
    const delivered = await webhookOf(jobId, 'delivered');
    expect(delivered.attempts).toBe(ATTEMPTS + 1);
    expect(delivered.recent.at(-1)).toMatchObject({ status: 204 });
    const delivery = downReceiver.received.find((r) => r.path === '/down');
    const signature = String(delivery!.headers[SIGNATURE_HEADER]);
    expect(verify(secret, delivery!.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(Number(/t=(\d+)/.exec(signature)?.[1])).toBeGreaterThanOrEqual(redriveAt);
    expect(JSON.parse(delivery!.body)).toMatchObject({ jobId, status: 'SUCCEEDED' });
    const after = await conveyor(['dlq', 'list', 'webhooks', '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject({ deliveries: [] });
  });
});
