import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';
import { certificateData, invoiceData, INVOICE_TOTAL, reportData, tableExportData } from '../helpers/pdf-payloads.js';
import { inspectPdf } from '../helpers/pdf-tools.js';

let api: ApiClient;

/**
 * Holds a table export titled WATCHED_TITLE at its first page of progress until the test has seen
 * it RUNNING with that progress: the job runs long enough to be observed by construction, however
 * fast or busy the machine. The real handler renders; only its progress calls are wrapped.
 */
const WATCHED_TITLE = 'Watched export';
let releaseWatched!: () => void;
const watchedReleased = new Promise<void>((resolve) => (releaseWatched = resolve));

beforeAll(async () => {
  api = await bootLocalCloud({
    handlers: (real) => ({
      pdf: (payload, context) => {
        if (payload.kind !== 'table-export' || payload.data.title !== WATCHED_TITLE) return real.pdf(payload, context);
        return real.pdf(payload, {
          ...context,
          progress: async (percent, message) => {
            await context.progress(percent, message);
            if (percent > 5 && percent < 90) await untilReleasedOrAborted(context.signal);
          },
        });
      },
    }),
  });
});

function untilReleasedOrAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    void watchedReleased.then(resolve);
  });
}

afterAll(async () => {
  await api?.cloud.stop();
});

interface Download {
  url: string;
  expiresAt: string;
  fileName: string;
  contentType: string;
  bytes: number;
}

async function runPdf(kind: string, data: unknown, key?: string) {
  const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind, data } }, ...(key ? { key } : {}) });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  const job = await waitFor(posted.body.jobId, key);
  return job as Record<string, unknown> & { download?: Download; result?: { pages: number; file: { key: string } } };
}

async function waitFor(jobId: string, key?: string, statuses = ['SUCCEEDED', 'FAILED', 'DEAD']) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const { body } = await api.request('GET', `/v1/jobs/${jobId}`, key ? { key } : {});
    if (statuses.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`job ${jobId} stuck at ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Downloads through the presigned URL exactly as a browser would: no credentials, no API key. */
async function download(job: { download?: Download }): Promise<Uint8Array> {
  expect(job.download).toBeDefined();
  const response = await fetch(job.download!.url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('application/pdf');
  return new Uint8Array(await response.arrayBuffer());
}

describe('E2E: PDF jobs rendered, stored in S3 and downloaded through a presigned URL', () => {
  it('renders an invoice with computed totals', async () => {
    // Act
    const job = await runPdf('invoice', invoiceData({ expectedTotal: INVOICE_TOTAL }));
    const pdf = inspectPdf(await download(job));

    // Assess
    expect(job).toMatchObject({ status: 'SUCCEEDED', progress: 100, result: { kind: 'invoice', pages: 1, file: { key: `tenants/dev/pdf/invoice-${job.jobId}.pdf` } } });
    expect(pdf.pages).toBe(1);
    expect(pdf.title).toBe('Invoice INV-2026-0042');
    for (const text of ['Invoice INV-2026-0042', 'Acme Corp', 'Support hours', '1.23', '401.22 EUR', '76.23 EUR', '477.45 EUR']) expect(pdf.text).toContain(text);
  });

  it('renders a report with its sections and table', async () => {
    const job = await runPdf('report', reportData());
    const pdf = inspectPdf(await download(job));
    expect(job.status).toBe('SUCCEEDED');
    expect(pdf.pages).toBe((job.result as { pages: number }).pages);
    for (const text of ['Quarterly operations report', 'Incidents', 'No job was lost.', 'Jobs per type', '5400']) expect(pdf.text).toContain(text);
  });

  it('renders a certificate on one landscape page', async () => {
    const job = await runPdf('certificate', certificateData());
    const pdf = inspectPdf(await download(job));
    expect(pdf.pages).toBe(1);
    for (const text of ['CERTIFICATE OF COMPLETION', 'Ada Lovelace', 'Conveyor Academy', 'CERT-0001']) expect(pdf.text).toContain(text);
  });

  it('renders the result of a finished analysis job of the same tenant', async () => {
    // Prepare
    const analysis = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'tool-for-report' }) } });
    const finished = await waitFor(analysis.body.jobId);
    expect(finished.status).toBe('SUCCEEDED');

    // Act
    const job = await runPdf('analysis-report', { analysisJobId: analysis.body.jobId });
    const foreign = await runPdf('analysis-report', { analysisJobId: analysis.body.jobId }, LOCAL_API_KEYS[1]!.key);

    // Assess
    const pdf = inspectPdf(await download(job));
    for (const text of ['Analysis report: tool-for-report', 'example.com', 'developer-tools', 'positive', analysis.body.jobId]) expect(pdf.text).toContain(text);
    expect(foreign).toMatchObject({ status: 'FAILED', error: { code: 'ANALYSIS_NOT_FOUND' } });
    expect(foreign.download).toBeUndefined();
  });

  it('paginates a table export, repeating the header on every page, and reports progress while rendering', async () => {
    // Prepare
    // ~45 rows a page: enough pages to show the header repeating, few enough to render quickly on a busy machine.
    const rows = 1_500;
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'table-export', data: tableExportData(rows, { title: WATCHED_TITLE }) } } });
    expect(posted.status).toBe(202);

    // Act: watch the job while it renders; it waits at its first page until it was seen RUNNING.
    const seen: { status: string; progress: number }[] = [];
    let job: Record<string, unknown> & { download?: Download; result?: { pages: number } };
    for (;;) {
      const { body } = await api.request('GET', `/v1/jobs/${posted.body.jobId}`);
      seen.push({ status: body.status, progress: body.progress });
      if (body.status === 'RUNNING' && body.progress > 0 && body.progress < 100) releaseWatched();
      if (['SUCCEEDED', 'FAILED', 'DEAD'].includes(body.status)) {
        job = body;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const pdf = inspectPdf(await download(job));

    // Assess
    expect(job.status).toBe('SUCCEEDED');
    expect(seen.some((s) => s.status === 'RUNNING' && s.progress > 0 && s.progress < 100)).toBe(true);
    const progressWhileRunning = seen.filter((s) => s.status === 'RUNNING').map((s) => s.progress);
    expect(progressWhileRunning).toEqual([...progressWhileRunning].sort((a, b) => a - b));
    expect(pdf.pages).toBe(job.result!.pages);
    expect(pdf.pages).toBeGreaterThan(25);
    expect(pdf.text).toContain(`Customer ${rows}`);
    expect(pdf.text.match(/E-mail/g)?.length).toBe(pdf.pages);
    expect(pdf.text).toContain(`Page ${pdf.pages} of ${pdf.pages}`);
  }, 90_000);

  it('gives a short-lived download URL only to the owner, only once SUCCEEDED', async () => {
    // Prepare
    const job = await runPdf('certificate', certificateData());

    // Act
    const foreign = await api.request('GET', `/v1/jobs/${job.jobId}`, { key: LOCAL_API_KEYS[1]!.key });
    const again = await api.request('GET', `/v1/jobs/${job.jobId}`);

    // Assess
    expect(foreign.status).toBe(404);
    const ttl = api.cloud.config.CONVEYOR_DOWNLOAD_URL_TTL_SECONDS;
    const expiresIn = (Date.parse(job.download!.expiresAt) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(0);
    expect(expiresIn).toBeLessThanOrEqual(ttl);
    expect(new URL(job.download!.url).searchParams.get('X-Amz-Expires')).toBe(String(ttl));
    expect(job.download).toMatchObject({ fileName: `certificate-${job.jobId}.pdf`, contentType: 'application/pdf' });
    // Signed at read time, not stored: the record holds only the key, and each read signs anew.
    expect(JSON.stringify(job.result)).not.toContain('X-Amz-Signature');
    expect(again.body.download.url).toEqual(expect.stringContaining(`certificate-${job.jobId}.pdf`));
    const queued = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload() } });
    const analysisJob = await waitFor(queued.body.jobId);
    expect(analysisJob.download).toBeUndefined();
  });
});

describe('E2E: PDF payloads refused at enqueue, naming the field', () => {
  it.each([
    ['a declared total that does not add up', 'invoice', invoiceData({ expectedTotal: 1 }), 'payload.data.expectedTotal'],
    ['10,001 rows', 'table-export', { columns: ['n'], rows: Array.from({ length: 10_001 }, (_, i) => [i]) }, 'payload.data.rows'],
    ['an overlong cell', 'table-export', tableExportData(1, { rows: [[1, 'x'.repeat(501), 'e', true, 1]] }), 'payload.data.rows.0.1'],
    ['a ragged row', 'table-export', tableExportData(1, { rows: [[1, 2]] }), 'payload.data.rows.0'],
    ['too much report text', 'report', reportData({ sections: Array.from({ length: 6 }, (_, i) => ({ heading: `s${i}`, body: 'x'.repeat(20_000) })) }), 'payload.data.sections'],
    ['an image URL to fetch', 'certificate', certificateData({ logoUrl: 'http://169.254.169.254/' }), 'payload.data.logoUrl'],
    ['an unknown kind', 'poster', {}, 'payload.kind'],
  ])('400 for %s', async (_label, kind, data, path) => {
    const response = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind, data } } });
    expect(response.status).toBe(400);
    expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
});
