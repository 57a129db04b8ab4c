import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RetryableJobError } from '../../shared/domain/errors.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** An error as long as a real one gets: a sentence, then a URL-like token with nowhere to break. */
const LONG_ERROR = `renderer upstream refused the document after 3 redirects; last response was 502 from ${'https://renderer.internal.example.com/v2/render?'.padEnd(420, 'x')} — giving up on this attempt and trying again later with backoff (tail-marker)`;

let api: ApiClient;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  api = await bootLocalCloud({
    // No cron entries: the system tenant's jobs are the paging test's alone.
    recurringJobs: [],
    handlers: (real) => ({
      // A certificate titled "Doomed" fails every attempt with a long error (→ DEAD, in the pdf DLQ).
      pdf: (payload, context) => {
        if (payload.kind === 'certificate' && payload.data.title === 'Doomed') throw new RetryableJobError(LONG_ERROR, 'RENDERER_UNAVAILABLE');
        return real.pdf(payload, context);
      },
    }),
  });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.context().close();
});

afterAll(async () => {
  await browser?.close();
  await api?.cloud.stop();
});

/** A fresh browser context (its own localStorage) on the dashboard. */
async function openDashboard(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  const page = await context.newPage();
  pages.push(page);
  await page.goto(api.cloud.dashboardUrl!);
  return page;
}

const row = (page: Page, table: string, first: string) => page.locator(`#${table} tbody tr`).filter({ has: page.locator('td:first-child', { hasText: first }) });
const jobIds = (page: Page, table = 'jobs') => page.locator(`#${table} tbody tr td:first-child`).allTextContents();

/** Every jobs page the API gives `key`, 25 a page, as job ids. */
async function apiPages(key: string): Promise<string[][]> {
  const result: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await api.request('GET', `/v1/jobs?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { key });
    result.push((page.body.jobs as { jobId: string }[]).map((j) => j.jobId));
    cursor = page.body.cursor as string | undefined;
  } while (cursor);
  return result;
}

describe('E2E: the dashboard shows what a person looks for (chromium)', { timeout: 120_000 }, () => {
  it('loads and refreshes with no failed request in the browser console (favicon included)', async () => {
    // Prepare
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    pages.push(page);
    const problems: string[] = [];
    let refreshes = 0;
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
      if (response.url().endsWith('/v1/queues')) refreshes++;
    });

    // Act
    await page.goto(api.cloud.dashboardUrl!);
    await expect.poll(() => refreshes, { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    const icon = await page.locator('link[rel=icon]').getAttribute('href', { timeout: 1_000 }).catch(() => null);
    const served = await page.request.get(new URL(icon ?? '/favicon.ico', page.url()).toString());

    // Assess
    expect(problems).toEqual([]);
    expect(served.status()).toBe(200);
    expect(served.headers()['content-type']).toBe('image/svg+xml');
  });

  it('shows a job held until tomorrow under Held, and not as the oldest waiting', async () => {
    // Prepare
    const runAt = new Date(Date.now() + 86_400_000).toISOString();
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', runAt, payload: analysisPayload({ toolId: 'held' }) } });
    expect(posted.status).toBe(202);

    // Act
    const page = await openDashboard();

    // Assess
    const analysis = row(page, 'queues', 'analysis').locator('td');
    await expect.poll(() => analysis.nth(6).textContent(), { timeout: 20_000 }).toBe('1');
    expect(await analysis.nth(5).textContent()).toBe('-');
    expect(await page.locator('#queues thead th').nth(6).textContent()).toBe('Held');
  });

  it('offers the PDF of a SUCCEEDED pdf job as a download link that serves the file', async () => {
    // Prepare
    const posted = await api.request('POST', '/v1/jobs', {
      body: { type: 'pdf', payload: { kind: 'certificate', data: { recipientName: 'Ada Lovelace', title: 'Certificate of Completion', achievement: 'Finished the first hour.', issuedOn: '2026-12-06', issuer: 'Conveyor' } } },
    });
    const jobId = posted.body.jobId as string;
    await api.waitForStatus(jobId, ['SUCCEEDED'], 30_000);
    const page = await openDashboard();

    // Act
    await expect.poll(() => row(page, 'jobs', jobId).count(), { timeout: 20_000 }).toBe(1);
    await row(page, 'jobs', jobId).click();
    const link = page.locator('#job-download');
    await expect.poll(() => link.isVisible(), { timeout: 10_000 }).toBe(true);
    const href = await link.getAttribute('href');
    const file = await page.request.get(href!);

    // Assess
    expect(await link.textContent()).toBe(`Download certificate-${jobId}.pdf`);
    expect(file.status()).toBe(200);
    expect(file.headers()['content-type']).toBe('application/pdf');
    expect((await file.body()).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('opens the dead letters on a type that has some, and wraps a long error instead of cutting it', async () => {
    // Prepare: a pdf job that dies (the first type in the list, analysis, has no dead letters)
    const posted = await api.request('POST', '/v1/jobs', {
      body: { type: 'pdf', payload: { kind: 'certificate', data: { recipientName: 'Bob', title: 'Doomed', achievement: 'Never rendered.', issuedOn: '2026-12-06', issuer: 'Conveyor' } } },
    });
    const jobId = posted.body.jobId as string;
    await api.waitForStatus(jobId, ['DEAD'], 60_000);

    // Act
    const page = await openDashboard();
    await expect.poll(() => row(page, 'dlq', jobId).count(), { timeout: 20_000 }).toBe(1);
    const cell = row(page, 'dlq', jobId).locator('td').last();
    const shown = await cell.evaluate((td) => ({ text: td.textContent ?? '', fits: td.scrollWidth <= td.clientWidth, lines: td.getBoundingClientRect().height / parseFloat(getComputedStyle(td).lineHeight) }));
    const pageFits = await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);
    await row(page, 'dlq', jobId).click();
    await expect.poll(() => page.locator('#job-id').textContent()).toBe(jobId);
    const detail = await page.locator('#job-error').evaluate((pre) => ({ text: pre.textContent ?? '', fits: pre.scrollWidth <= pre.clientWidth }));

    // Assess
    expect(await page.locator('#dlq-type').inputValue()).toBe('pdf');
    expect(shown.text).toBe(`RENDERER_UNAVAILABLE: ${LONG_ERROR}`);
    expect(shown.fits).toBe(true);
    expect(shown.lines).toBeGreaterThan(2);
    expect(pageFits).toBe(true);
    expect(detail.text).toBe(`RENDERER_UNAVAILABLE: ${LONG_ERROR}`);
    expect(detail.fits).toBe(true);
  });

  it('a new key starts from an empty page; a key without the admin scope sees its own jobs, queues marked admin-only', async () => {
    // Prepare: a job of tenant "other", and the dev key's page showing dev's jobs and a selected one
    const theirs = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'other-1' }) }, key: 'cvk_local_other' });
    const page = await openDashboard();
    await expect.poll(() => page.locator('#jobs tbody tr').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    const devJobs = await jobIds(page);
    await row(page, 'jobs', devJobs[0]!).click();
    await expect.poll(() => page.locator('#job-id').textContent()).toBe(devJobs[0]);

    // Act
    await page.locator('#api-key').fill('cvk_local_other');
    await page.locator('#api-key').press('Tab');
    const rightAfter = { jobs: await jobIds(page), detailHidden: await page.locator('#job-detail').isHidden() };
    await expect.poll(() => jobIds(page), { timeout: 20_000 }).toContain(theirs.body.jobId);
    await expect.poll(() => page.locator('#queues-note').isVisible(), { timeout: 10_000 }).toBe(true);
    // Two more refreshes under the new key: nothing turns into a failure later.
    let refreshes = 0;
    page.on('response', (response) => {
      if (response.url().includes('/v1/jobs?')) refreshes++;
    });
    await expect.poll(() => refreshes, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);

    // Assess
    expect(rightAfter.jobs.filter((id) => devJobs.includes(id))).toEqual([]);
    expect(rightAfter.detailHidden).toBe(true);
    expect((await jobIds(page)).filter((id) => devJobs.includes(id))).toEqual([]);
    expect(await page.locator('#queues-note').textContent()).toBe('Queues need a key with the admin scope, dead letters the operator scope. This key (tenant other) sees its own jobs only.');
    expect(await page.locator('#queues').isHidden()).toBe(true);
    expect(await page.locator('#dead-letters').isHidden()).toBe(true);
    expect(await page.locator('#notice').isHidden()).toBe(true);
    expect(await page.locator('#live').getAttribute('class')).not.toContain('stale');
  });

  it('pages through jobs beyond the newest 25, and back', async () => {
    // Prepare: 30 more jobs of tenant "system" (held, so they stay put), listed by the API in pages of 25
    const batch = await api.request('POST', '/v1/jobs:batch', {
      key: 'cvk_local_system',
      body: { jobs: Array.from({ length: 30 }, (_, i) => ({ type: 'analysis', delaySeconds: 900, payload: analysisPayload({ toolId: `page-${i}` }) })) },
    });
    expect(batch.status).toBe(202);
    const expected = await apiPages('cvk_local_system');
    const page = await openDashboard();
    await page.locator('#api-key').fill('cvk_local_system');
    await page.locator('#api-key').press('Tab');
    await expect.poll(() => jobIds(page), { timeout: 20_000 }).toEqual(expected[0]);

    // Act
    await page.locator('#jobs-older').click();
    await expect.poll(() => jobIds(page), { timeout: 10_000 }).toEqual(expected[1]);
    const second = { label: await page.locator('#jobs-page').textContent(), olderEnabled: await page.locator('#jobs-older').isEnabled() };
    await page.locator('#jobs-newer').click();
    await expect.poll(() => jobIds(page), { timeout: 10_000 }).toEqual(expected[0]);

    // Assess
    expect(expected.map((p) => p.length)).toEqual([25, 5]);
    expect(second).toEqual({ label: 'page 2 · jobs 26–30', olderEnabled: false });
    expect(await page.locator('#jobs-newer').isEnabled()).toBe(false);
    expect(await page.locator('#jobs-page').textContent()).toBe('page 1 · jobs 1–25');
  });
});
