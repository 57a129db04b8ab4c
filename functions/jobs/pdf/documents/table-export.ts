import type { PdfData } from '../../../../shared/jobs/pdf.js';
import { PAGE_SIZES, PdfWriter } from '../writer.js';
import { cellText, type RenderedPdf, type RenderTools } from './types.js';

/** Rows × columns, paginated with the header on every page, progress reported page by page. */
export async function renderTableExport(data: PdfData<'table-export'>, tools: RenderTools): Promise<RenderedPdf> {
  const title = data.title ?? 'Table export';
  // Wide tables get landscape pages: more room per column, fewer truncated cells.
  const size = data.columns.length > 6 ? PAGE_SIZES.a4Landscape : undefined;
  const writer = await PdfWriter.create({ title, createdAt: tools.createdAt, ...(size ? { size } : {}) });
  writer.heading(title, 16);
  writer.muted(`${data.rows.length} ${data.rows.length === 1 ? 'row' : 'rows'} × ${data.columns.length} ${data.columns.length === 1 ? 'column' : 'columns'} · exported ${tools.createdAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`);
  await writer.table({
    columns: data.columns,
    rows: data.rows.map((row) => row.map(cellText)),
    align: data.columns.map((_, i) => (data.rows.length > 0 && data.rows.every((row) => typeof row[i] === 'number' || row[i] === null) ? 'right' : 'left')),
    fontSize: 8,
    onPage: (done) => tools.progress(done * 0.95, `rendered page ${writer.pageCount}`),
  });
  const bytes = await writer.finish(title);
  return { bytes, pages: writer.pageCount };
}
