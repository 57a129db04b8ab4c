import { PermanentJobError, RetryableJobError } from '../../../shared/domain/errors.js';
import { pdfJob, type PdfPayload } from '../../../shared/jobs/pdf.js';
import { tenantPrefix, type BlobStore, type FileReference } from '../../../shared/ports/blob-store.js';
import type { JobStore } from '../../../shared/ports/job-store.js';
import type { JobContext, JobHandler } from '../../worker/context.js';
import { defineHandler } from '../define-handler.js';
import { renderAnalysisReport, type FinishedAnalysis } from './documents/analysis-report.js';
import { renderCertificate } from './documents/certificate.js';
import { renderInvoice } from './documents/invoice.js';
import { renderReport } from './documents/report.js';
import { renderTableExport } from './documents/table-export.js';
import type { RenderedPdf, RenderTools } from './documents/types.js';

export interface PdfHandlerDeps {
  readonly blobs: BlobStore;
  /** Reads the analysis job an `analysis-report` renders (same tenant only). */
  readonly store: JobStore;
  readonly now?: () => Date;
}

export interface PdfResult {
  readonly kind: PdfPayload['kind'];
  readonly pages: number;
  /** Where the PDF is; GET /v1/jobs/{id} turns it into a short-lived download URL. */
  readonly file: FileReference;
}

/**
 * The PDF job: render with pdf-lib (no browser, nothing fetched), write the file to the blob store
 * under the tenant's prefix, return a reference to it. Rendering reports progress from 5 to 90 %,
 * the upload 95 %. A redelivery renders again and overwrites the same key: harmless, no duplicate.
 */
export function createPdfHandler(deps: PdfHandlerDeps): JobHandler<PdfPayload, PdfResult> {
  const now = deps.now ?? (() => new Date());
  return async (payload, context) => {
    const tools: RenderTools = {
      createdAt: now(),
      progress: (fraction, message) => context.progress(5 + Math.min(1, Math.max(0, fraction)) * 85, message),
    };
    await context.progress(5, `rendering ${payload.kind}`);
    const rendered = await render(payload, tools, deps.store, context);
    context.signal.throwIfAborted();

    const fileName = `${payload.kind}-${context.jobId}.pdf`;
    const key = `${tenantPrefix(context.tenant)}pdf/${fileName}`;
    await context.progress(95, `uploading ${rendered.pages} ${rendered.pages === 1 ? 'page' : 'pages'}`);
    await deps.blobs.put(key, rendered.bytes, { contentType: 'application/pdf', signal: context.signal });
    return { kind: payload.kind, pages: rendered.pages, file: { key, contentType: 'application/pdf', bytes: rendered.bytes.byteLength, fileName } };
  };
}

/** Documents go to the bucket of the `blobs` capability; an analysis report reads its analysis from the job store. */
export default defineHandler(pdfJob, (ports) => createPdfHandler({ blobs: ports.blobs, store: ports.store }));

async function render(payload: PdfPayload, tools: RenderTools, store: JobStore, context: JobContext): Promise<RenderedPdf> {
  switch (payload.kind) {
    case 'invoice':
      return renderInvoice(payload.data, tools);
    case 'report':
      return renderReport(payload.data, tools);
    case 'analysis-report':
      return renderAnalysisReport(payload.data, await finishedAnalysis(store, payload.data.analysisJobId, context.tenant), tools);
    case 'certificate':
      return renderCertificate(payload.data, tools);
    case 'table-export':
      return renderTableExport(payload.data, tools);
    default: {
      const unknownKind: never = payload;
      throw new PermanentJobError(`unknown PDF kind ${JSON.stringify(unknownKind)}`, 'UNKNOWN_KIND');
    }
  }
}

/** The analysis job to report on: same tenant, type analysis, SUCCEEDED. Still running → retry later. */
async function finishedAnalysis(store: JobStore, jobId: string, tenant: string): Promise<FinishedAnalysis> {
  // The tenant filter makes another tenant's job indistinguishable from a missing one.
  const job = await store.get(jobId, { tenant });
  if (!job || job.type !== 'analysis') throw new PermanentJobError(`no analysis job ${jobId} for this tenant`, 'ANALYSIS_NOT_FOUND');
  if (job.status === 'SUCCEEDED') return { jobId: job.jobId, result: job.result, ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}) };
  if (job.status === 'QUEUED' || job.status === 'RUNNING' || job.status === 'RETRYING') {
    throw new RetryableJobError(`analysis job ${jobId} is ${job.status}; the report waits for it to finish`, 'ANALYSIS_NOT_READY');
  }
  throw new PermanentJobError(`analysis job ${jobId} ended ${job.status}; there is no result to report`, 'ANALYSIS_NOT_SUCCEEDED');
}
