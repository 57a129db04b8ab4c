import { randomUUID } from 'node:crypto';
import { PDFDocument } from 'pdf-lib';
import { describe, expect, it, vi } from 'vitest';
import { createPdfHandler } from '../../../functions/jobs/pdf/handler.js';
import type { JobContext } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import { pdfJob, type PdfPayload } from '../../../shared/jobs/pdf.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { certificateData, invoiceData, reportData, tableExportData } from '../../helpers/pdf-payloads.js';

function setup() {
  const blobs = new MemoryBlobStore();
  const store = new MemoryJobStore();
  const handler = createPdfHandler({ blobs, store, now: () => new Date('2026-11-23T12:00:00Z') });
  const progress: number[] = [];
  const context = (tenant = 'tenant-a'): JobContext => ({
    jobId: randomUUID(),
    tenant,
    type: 'pdf',
    attempt: 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
    logger: silentLogger,
    progress: async (percent) => {
      progress.push(percent);
    },
  });
  return { blobs, store, handler, progress, context };
}

const parse = (payload: unknown) => pdfJob.payload.parse(payload) as PdfPayload;

describe('Function: pdf handler', () => {
  it.each([
    ['invoice', invoiceData(), 1],
    ['report', reportData(), 1],
    ['certificate', certificateData(), 1],
    ['table-export', tableExportData(10), 1],
  ])('renders a %s and stores it under the tenant prefix', async (kind, data, pages) => {
    // Prepare
    const { blobs, handler, context } = setup();
    const ctx = context();

    // Act
    const result = await handler(parse({ kind, data }), ctx);

    // Assess
    const key = `tenants/tenant-a/pdf/${kind}-${ctx.jobId}.pdf`;
    expect(result).toEqual({ kind, pages, file: { key, contentType: 'application/pdf', bytes: expect.any(Number), fileName: `${kind}-${ctx.jobId}.pdf` } });
    const stored = blobs.objects.get(key)!;
    expect(stored.contentType).toBe('application/pdf');
    expect(stored.body.byteLength).toBe(result.file.bytes);
    const pdf = await PDFDocument.load(stored.body);
    expect(pdf.getPageCount()).toBe(pages);
  });

  it('paginates a table export, the page count following the rows, with rising progress per page', async () => {
    // Prepare
    const { blobs, handler, progress, context } = setup();

    // Act
    const small = await handler(parse({ kind: 'table-export', data: tableExportData(40) }), context());
    const progressBefore = progress.length;
    const large = await handler(parse({ kind: 'table-export', data: tableExportData(2_000) }), context());

    // Assess
    expect(small.pages).toBe(1);
    expect(large.pages).toBeGreaterThan(30);
    const pdf = await PDFDocument.load(blobs.objects.get(large.file.key)!.body);
    expect(pdf.getPageCount()).toBe(large.pages);
    const largeProgress = progress.slice(progressBefore);
    expect(largeProgress.length).toBeGreaterThanOrEqual(large.pages);
    expect(largeProgress).toEqual([...largeProgress].sort((a, b) => a - b));
    expect(largeProgress.at(-1)).toBe(95);
  });

  it('prints characters the standard fonts cannot encode as "?" instead of failing', async () => {
    const { handler, context } = setup();
    const result = await handler(parse({ kind: 'certificate', data: certificateData({ recipientName: '李小龍 🎉 Zoë' }) }), context());
    expect(result.pages).toBe(1);
  });

  it('reports on a finished analysis job of the same tenant only', async () => {
    // Prepare
    const { store, handler, context } = setup();
    const analysis = queuedJob({ tenant: 'tenant-a', status: 'SUCCEEDED', result: { toolId: 't-1', domain: 'example.com', counts: { characters: 10, words: 2, sentences: 1, uniqueWords: 2 }, readingTimeSeconds: 1, keywords: [{ word: 'fast', count: 2 }], sentiment: { score: 2, comparative: 0.5, label: 'positive' }, category: { name: 'developer-tools', confidence: 0.6, matches: ['api'] } } });
    await store.create(analysis);
    const payload = parse({ kind: 'analysis-report', data: { analysisJobId: analysis.jobId } });

    // Act
    const own = await handler(payload, context('tenant-a'));
    const foreign = handler(payload, context('tenant-b'));

    // Assess
    expect(own.pages).toBe(1);
    await expect(foreign).rejects.toBeInstanceOf(PermanentJobError);
    await expect(foreign).rejects.toMatchObject({ code: 'ANALYSIS_NOT_FOUND' });
  });

  it('waits (retryable) for an analysis still running, and fails one that failed', async () => {
    // Prepare
    const { store, handler, context } = setup();
    const running = queuedJob({ tenant: 'tenant-a', status: 'RUNNING' });
    const failed = queuedJob({ tenant: 'tenant-a', status: 'FAILED' });
    const notAnalysis = queuedJob({ tenant: 'tenant-a', type: 'email', status: 'SUCCEEDED' });
    for (const job of [running, failed, notAnalysis]) await store.create(job);

    // Act
    const outcomes = await Promise.allSettled([running, failed, notAnalysis].map((job) => handler(parse({ kind: 'analysis-report', data: { analysisJobId: job.jobId } }), context())));

    // Assess
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? o.reason : undefined));
    expect(reasons[0]).toBeInstanceOf(RetryableJobError);
    expect(reasons[0]).toMatchObject({ code: 'ANALYSIS_NOT_READY' });
    expect(reasons[1]).toMatchObject({ code: 'ANALYSIS_NOT_SUCCEEDED' });
    expect(reasons[2]).toMatchObject({ code: 'ANALYSIS_NOT_FOUND' });
  });

  it('lets the timeout signal stop a render longer than its budget, and the consumer answers with pages still to go', async () => {
    // Prepare: the largest table the limits allow (over 200 pages), each page made to hold the CPU
    // for 10 ms without yielding (as a slow page would), so the whole render takes over 2 s against
    // a 1.5 s budget however fast the machine. If rendering held the event loop between pages, the
    // timeout timer could only fire after the last page.
    const { blobs, store } = setup();
    const pagesRendered: number[] = [];
    const real = createPdfHandler({ blobs, store });
    const worker = new JobWorker<PdfPayload>(pdfJob, (payload, ctx) => real(payload, {
      ...ctx,
      progress: async (percent, message) => {
        const page = /rendered page (\d+)/.exec(message ?? '');
        if (page) {
          pagesRendered.push(Number(page[1]));
          const busyUntil = performance.now() + 10;
          while (performance.now() < busyUntil); // a slow page: CPU held, no yield
        }
        return ctx.progress(percent, message);
      },
    }), { store, queue: { send: vi.fn(), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) }, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 100, random: () => 0 });
    const job = queuedJob({ type: 'pdf', payload: parse({ kind: 'table-export', data: tableExportData(10_000) }) });
    await store.create(job);
    const totalPages = Math.ceil(10_000 / 48); // at least: an A4 portrait page holds under 48 rows at 8 pt

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job)), invocation(1_500));
    const renderedByTheAnswer = Math.max(0, ...pagesRendered);

    // Assess: the render started, was stopped with most pages never drawn, and the message was
    // reported for a retry; nothing was uploaded and the job did not succeed. (On a loaded machine the
    // answer may come before the lazy RUNNING write: the record is then still QUEUED, which is fine.)
    expect(pagesRendered.length).toBeGreaterThan(0);
    expect(renderedByTheAnswer).toBeLessThan(totalPages);
    expect(response.batchItemFailures).toHaveLength(1);
    const record = await store.get(job.jobId);
    expect(['QUEUED', 'RUNNING', 'RETRYING']).toContain(record?.status);
    if (record?.status === 'RETRYING') expect(record.error).toMatchObject({ code: 'TIMEOUT' });
    expect(blobs.objects.size).toBe(0);
  }, 60_000);
});
