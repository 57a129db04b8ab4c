import { describe, expect, it } from 'vitest';
import { describeRateLimits } from '../../../functions/roots/rate-limits.js';
import type { DeliveryResult, WebhookDelivery } from '../../../functions/webhooks/delivery.js';
import { webhookWorker } from '../../../functions/webhooks/webhook-worker.js';
import { parseConfig } from '../../../shared/config/env.js';
import { JsonLogger } from '../../../shared/logging/logger.js';
import { urlForLog } from '../../../shared/logging/redact.js';

const SECRET_URL = 'https://hook-user:hunter2-password@hooks.example.com:8443/conveyor/done?token=s3cr3t-token&sig=abc#frag';

function run(result: DeliveryResult, receiveCount = 1) {
  const lines: string[] = [];
  const worker = webhookWorker({
    deliver: async () => result,
    queue: { changeVisibility: async () => undefined },
    logger: new JsonLogger({ level: 'debug', write: (line) => lines.push(line) }),
  });
  const delivery: WebhookDelivery = { jobId: 'job-1', tenant: 't', callbackUrl: SECRET_URL, body: '{}' };
  const event = { Records: [{ messageId: 'm-1', receiptHandle: 'rh-1', body: JSON.stringify(delivery), attributes: { ApproximateReceiveCount: String(receiveCount) } }] };
  return { done: worker(event), lines };
}

describe('Function: webhookWorker (logs)', () => {
  it.each([
    ['delivered', { ok: true, status: 204 } as const],
    ['refused', { ok: false, retry: false, reason: 'receiver answered 410', status: 410 } as const],
    ['retried', { ok: false, retry: true, reason: 'receiver answered 503', status: 503 } as const],
  ])('logs a %s webhook with the callback\'s origin and path only: no user, password, query or fragment', async (_name, result) => {
    // Act
    const { done, lines } = run(result);
    await done;

    // Assess
    const log = lines.join('\n');
    expect(lines.length).toBeGreaterThan(0);
    expect(log).toContain('https://hooks.example.com:8443/conveyor/done');
    for (const secret of ['hook-user', 'hunter2', 's3cr3t', 'sig=abc', 'frag']) expect(log).not.toContain(secret);
  });
});

describe('Function: urlForLog', () => {
  it('keeps origin and path, drops credentials, query and fragment; says so for what is not a URL', () => {
    expect(urlForLog(SECRET_URL)).toBe('https://hooks.example.com:8443/conveyor/done');
    expect(urlForLog('not a url ?token=x')).toBe('(not a URL)');
  });
});

describe('Function: describeRateLimits', () => {
  it('names the Upstash endpoint without credentials a URL may carry', () => {
    const config = parseConfig({ CONVEYOR_TABLE_NAME: 't', CONVEYOR_QUEUE_URLS: '{}', UPSTASH_REDIS_REST_URL: 'https://user:pw@eu1.upstash.io/?token=abc', UPSTASH_REDIS_REST_TOKEN: 'tok' });
    const line = describeRateLimits(config);
    expect(line).toContain('Upstash Redis at https://eu1.upstash.io (');
    expect(line).not.toMatch(/pw|token=abc|tok\b/);
  });
});
