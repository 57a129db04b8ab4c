import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';
import { refusedPort, startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const ATTEMPTS = 2;
let api: ApiClient;
let browser: Browser;
let downPort: number;
let receiver: WebhookReceiver | undefined;

beforeAll(async () => {
  // Nothing listens there until the receiver comes up: every attempt is refused.
  downPort = await refusedPort();
  api = await bootLocalCloud({ webhooks: { maxAttempts: ATTEMPTS, backoff: { baseSeconds: 1, maxSeconds: 1 } } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

afterAll(async () => {
  await browser?.close();
  await api?.cloud.stop();
  await receiver?.close();
});

describe('E2E: the dashboard shows completion webhooks (chromium)', { timeout: 120_000 }, () => {
  it("shows a job's webhook state and attempts, the webhooks row of the queues, and redrives it", async () => {
    // Prepare: a job whose webhook fails every attempt and waits in the webhooks DLQ
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl: `http://127.0.0.1:${downPort}/hook` } });
    const jobId: string = posted.body.jobId;
    await eventually(async () => ((await api.request('GET', '/v1/queues')).body.webhooks?.dlq.visible === 1 ? true : undefined), 30_000, 'the delivery in the webhooks DLQ');
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();

    // Act
    await page.goto(api.cloud.dashboardUrl!);
    const webhooksRow = page.locator('#queues tbody tr[data-type="webhooks"]');
    await expect.poll(() => webhooksRow.locator('td').nth(4).textContent()).toBe('1');
    await page.locator('#jobs tbody tr').filter({ hasText: jobId }).click();

    // Assess: the job view
    await expect.poll(() => page.locator('#job-webhook-state').textContent()).toBe('dead-lettered');
    expect(await page.locator('#job-webhook-summary').textContent()).toContain(`${ATTEMPTS} attempt(s)`);
    const attempts = await page.locator('#job-webhook-attempts tbody tr td:nth-child(2)').allTextContents();
    expect(attempts).toEqual(Array(ATTEMPTS).fill('connection-refused'));

    // Act: the receiver comes back; redrive from the webhooks row
    receiver = await startWebhookReceiver({ port: downPort });
    await webhooksRow.getByRole('button', { name: 'Redrive webhooks' }).click();

    // Assess: delivered, one attempt more
    await expect.poll(() => page.locator('#job-webhook-state').textContent(), { timeout: 30_000 }).toBe('delivered');
    expect(await page.locator('#job-webhook-summary').textContent()).toContain(`${ATTEMPTS + 1} attempt(s)`);
    expect(await page.locator('#job-webhook-attempts tbody tr td:nth-child(2)').last().textContent()).toBe('204');
    await context.close();
  });
});
