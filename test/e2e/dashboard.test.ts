import { mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import { JOB_TYPES } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually, faultyHandler } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

const analysis = faultyHandler(analysisHandler);
const SCREENSHOTS = 'test-results';
let api: ApiClient;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  api = await bootLocalCloud({ handlers: { analysis: analysis.handler } });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
});

afterAll(async () => {
  await browser?.close();
  await api?.cloud.stop();
});

/** The text of a row of `table` whose first cell is `first`. */
const row = (table: string, first: string) => page.locator(`#${table} tbody tr`).filter({ has: page.locator('td:first-child', { hasText: first }) });

describe('E2E: the local dashboard in a real browser (chromium)', { timeout: 120_000 }, () => {
  let deadJobId: string;

  it('serves the page from the API server, with no resource from elsewhere', async () => {
    // Prepare
    const foreign: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(api.cloud.apiUrl)) foreign.push(request.url());
    });

    // Act
    const response = await page.goto(api.cloud.dashboardUrl!);

    // Assess
    expect(response?.status()).toBe(200);
    // A row per registered job type, and the completion webhooks' queue.
    await expect.poll(() => page.locator('#queues tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.type)), { timeout: 20_000 }).toEqual([...JOB_TYPES, 'webhooks']);
    expect(foreign).toEqual([]);
    expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
  });

  it('shows a job that failed into the DLQ: live DLQ count, the dead-letter list, and its details', async () => {
    // Prepare: a job that fails every attempt
    analysis.fault.failing = true;
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'dash-1' }) } });
    deadJobId = posted.body.jobId;
    await api.waitForStatus(deadJobId, ['DEAD'], 30_000);

    // Act: nothing but waiting — the page updates itself
    await expect.poll(() => row('queues', 'analysis').locator('td').nth(4).textContent(), { timeout: 20_000 }).toBe('1');
    await expect.poll(() => row('dlq', deadJobId).count(), { timeout: 20_000 }).toBe(1);
    await row('dlq', deadJobId).click();

    // Assess
    await expect.poll(() => page.locator('#job-id').textContent()).toBe(deadJobId);
    expect(await page.locator('#job-status').textContent()).toBe('DEAD');
    expect(await page.locator('#job-attempts').textContent()).toBe('3/3');
    expect(await page.locator('#job-error').textContent()).toContain('INJECTED_FAULT: injected fault');
    expect(await page.locator('#job-payload').textContent()).toContain('"toolId": "dash-1"');
    expect(await page.locator('#dlq-summary').textContent()).toContain('1 message(s) in the DLQ · 1 dead job(s)');
    expect(await page.locator('#job-retry').isEnabled()).toBe(true);
    expect(await page.locator('#job-cancel').isEnabled()).toBe(false);
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-dlq.png`, fullPage: true });
  });

  it('redrives it with the Redrive button; the open job goes SUCCEEDED live once the fault is removed', async () => {
    // Prepare
    analysis.fault.failing = false;

    // Act
    await row('queues', 'analysis').getByRole('button', { name: 'Redrive analysis' }).click();

    // Assess
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 10_000 }).toContain('analysis: redrive started — 1 dead job(s)');
    await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 20_000 }).toBe('SUCCEEDED');
    expect(await page.locator('#job-attempts').textContent()).toBe('1/3');
    expect(await page.locator('#job-result').textContent()).toContain('"toolId": "dash-1"');
    await expect.poll(() => row('queues', 'analysis').locator('td').nth(4).textContent(), { timeout: 20_000 }).toBe('0');
    await expect.poll(() => row('dlq', deadJobId).count()).toBe(0);
    // The queues table shows the task's progress (it refreshes by itself).
    await expect.poll(() => row('queues', 'analysis').locator('td').nth(8).textContent(), { timeout: 20_000 }).toBe('completed 1/1 · moved 1/1');
    expect(analysis.runs.get(deadJobId)).toBe(4);
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard.png`, fullPage: true });
  });

  it('lists jobs by status and retries a FAILED job with the Retry button', async () => {
    // Prepare: a report on an analysis job that does not exist ends FAILED at once
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
    const jobId = posted.body.jobId as string;
    await api.waitForStatus(jobId, ['FAILED']);

    // Act
    await page.getByRole('tab', { name: 'FAILED' }).click();
    await expect.poll(() => row('jobs', jobId).count(), { timeout: 20_000 }).toBe(1);
    expect(await page.locator('#jobs tbody tr').count()).toBe(1); // only FAILED jobs listed
    await row('jobs', jobId).click();
    await page.locator('#job-retry').click();

    // Assess
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 10_000 }).toContain(`Job ${jobId} is QUEUED again`);
    await eventually(async () => ((await api.request('GET', `/v1/jobs/${jobId}`)).body.retryCount === 1 ? true : undefined));
  });

  it('cancels a waiting job with the Cancel button', async () => {
    // Prepare: a job delayed ten minutes stays QUEUED
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'dash-cancel' }), delaySeconds: 600 } });
    const jobId = posted.body.jobId as string;

    // Act
    await page.getByRole('tab', { name: 'QUEUED' }).click();
    await expect.poll(() => row('jobs', jobId).count(), { timeout: 20_000 }).toBe(1);
    await row('jobs', jobId).click();
    await expect.poll(() => page.locator('#job-cancel').isEnabled()).toBe(true);
    await page.locator('#job-cancel').click();

    // Assess
    await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 20_000 }).toBe('CANCELLED');
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body.status).toBe('CANCELLED');
  });

  it('pauses a type with its Pause button (jobs wait QUEUED, the row says paused) and resumes it', async () => {
    // Act
    await row('queues', 'email').getByRole('button', { name: 'Pause email' }).click();

    // Assess: the overview and the row say so; a job enqueued now waits.
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 10_000 }).toContain('email paused');
    await expect.poll(() => row('queues', 'email').locator('.paused-badge').count(), { timeout: 10_000 }).toBe(1);
    expect((await api.request('GET', '/v1/queues')).body.queues.find((q: { type: string }) => q.type === 'email')).toMatchObject({ paused: true, pausedBy: 'local-dev' });
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'email', payload: { to: ['pause@example.com'], template: 'welcome', data: { name: 'Pat', loginUrl: 'https://app.example.com/login' } } } });
    expect(posted.status).toBe(202);
    expect((await api.request('GET', `/v1/jobs/${posted.body.jobId}`)).body.status).toBe('QUEUED');
    await page.screenshot({ path: `${SCREENSHOTS}/dashboard-paused.png`, fullPage: true });

    // Act
    await row('queues', 'email').getByRole('button', { name: 'Resume email' }).click();

    // Assess
    await expect.poll(() => row('queues', 'email').locator('.paused-badge').count(), { timeout: 10_000 }).toBe(0);
    expect((await api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000)).status).toBe('SUCCEEDED');
  });

  it('edits a waiting job (payload, priority) with the Save edit button, and hides the form once it cannot be edited', async () => {
    // Prepare: a job due in ten minutes, selected from the QUEUED tab.
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', delaySeconds: 600, payload: analysisPayload({ toolId: 'dash-edit' }) } });
    const jobId = posted.body.jobId as string;
    await page.getByRole('tab', { name: 'QUEUED' }).click();
    await expect.poll(() => row('jobs', jobId).count(), { timeout: 20_000 }).toBe(1);
    await row('jobs', jobId).click();
    await expect.poll(() => page.locator('#job-edit').isVisible()).toBe(true);

    // Act
    await page.locator('#job-edit-payload').fill(JSON.stringify(analysisPayload({ toolId: 'dash-edited' })));
    await page.locator('#job-edit-priority').selectOption('high');
    await page.locator('#job-edit-save').click();

    // Assess
    await expect.poll(() => page.locator('#notice').textContent(), { timeout: 10_000 }).toContain(`Job ${jobId} edited`);
    await expect.poll(() => page.locator('#job-payload').textContent(), { timeout: 10_000 }).toContain('"toolId": "dash-edited"');
    expect(await page.locator('#job-type').textContent()).toContain('high priority');
    expect((await api.request('GET', `/v1/jobs/${jobId}`)).body).toMatchObject({ status: 'QUEUED', priority: 'high', payload: { toolId: 'dash-edited' } });

    // Act: once cancelled it can no longer be edited.
    await page.locator('#job-cancel').click();

    // Assess
    await expect.poll(() => page.locator('#job-status').textContent(), { timeout: 20_000 }).toBe('CANCELLED');
    expect(await page.locator('#job-edit').isVisible()).toBe(false);
  });
});
