import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveDeliverable, addressPolicy } from '../../functions/webhooks/address-policy.js';
import { SIGNATURE_HEADER, verify } from '../../functions/webhooks/signature.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';
import { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const secret = 'whsec_test_secret_0123456789';
let receiver: WebhookReceiver;
let receiverUrl: string;
let api: ApiClient;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  receiverUrl = receiver.url;
  api = await bootLocalCloud({ webhooks: { secret, backoff: { baseSeconds: 1, maxSeconds: 1 } } });
});

afterAll(async () => {
  await api?.cloud.stop();
  await receiver?.close();
});

async function deliveriesTo(path: string, count: number): Promise<ReceivedWebhook[]> {
  const deadline = Date.now() + 20_000;
  while (receiver.received.filter((r) => r.path === path).length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
  return receiver.received.filter((r) => r.path === path);
}

describe('E2E: completion webhooks', () => {
  it('POSTs the finished job, signed with HMAC-SHA256 over timestamp and body', async () => {
    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl: `${receiverUrl}/done` } });
    const job = await api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);
    const [delivery] = await deliveriesTo('/done', 1);

    // Assess
    expect(job).toMatchObject({ status: 'SUCCEEDED', callbackUrl: `${receiverUrl}/done` });
    expect(delivery).toBeDefined();
    const signature = String(delivery!.headers[SIGNATURE_HEADER]);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verify(secret, delivery!.body, signature, Math.floor(Date.now() / 1000))).toBe(true);
    expect(verify('another-secret-value', delivery!.body, signature, Math.floor(Date.now() / 1000))).toBe(false);
    expect(verify(secret, delivery!.body.replace('SUCCEEDED', 'FAILED'), signature, Math.floor(Date.now() / 1000))).toBe(false);
    expect(JSON.parse(delivery!.body)).toMatchObject({ event: 'job.finished', jobId: posted.body.jobId, status: 'SUCCEEDED', result: { toolId: 't-1' } });
  });

  it('retries with backoff until the receiver accepts', async () => {
    receiver.failures.set('/flaky', 2);
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl: `${receiverUrl}/flaky` } });
    const deliveries = await deliveriesTo('/flaky', 3);
    expect(deliveries).toHaveLength(3);
    expect(new Set(deliveries.map((d) => JSON.parse(d.body).jobId))).toEqual(new Set([posted.body.jobId]));
  });

  it('announces a cancelled job too', async () => {
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), delaySeconds: 60, callbackUrl: `${receiverUrl}/cancelled` } });
    const cancelled = await api.request('DELETE', `/v1/jobs/${posted.body.jobId}`);
    const [delivery] = await deliveriesTo('/cancelled', 1);
    expect(cancelled.status).toBeLessThan(300);
    expect(JSON.parse(delivery!.body)).toMatchObject({ jobId: posted.body.jobId, status: 'CANCELLED' });
  });

  it('400 naming callbackUrl for a non-http URL or a private, link-local or non-allowed loopback address', async () => {
    for (const callbackUrl of ['ftp://example.com/x', 'not a url', 'http://169.254.169.254/latest/meta-data', 'http://10.0.0.7/hook', 'http://[fd00::1]/hook', 'http://127.0.0.2:8080/x']) {
      const response = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl } });
      expect(response.status, callbackUrl).toBe(400);
      expect(response.body.error.issues.map((i: { path: string }) => i.path), callbackUrl).toContain('callbackUrl');
    }
  });
});

describe('Function: resolveDeliverable (the delivery-time check, after DNS)', () => {
  it('refuses a host name that resolves to loopback unless it is allow-listed', async () => {
    await expect(resolveDeliverable('http://localhost:9/x', addressPolicy(''))).rejects.toThrow(/loopback/);
    await expect(resolveDeliverable('http://localhost:9/x', addressPolicy('localhost'))).resolves.toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
    await expect(resolveDeliverable('http://[::ffff:10.1.2.3]/x', addressPolicy(''))).rejects.toThrow(/private/);
    await expect(resolveDeliverable('http://93.184.215.14/x', addressPolicy(''))).resolves.toEqual({ address: '93.184.215.14', family: 4 });
  });
});
