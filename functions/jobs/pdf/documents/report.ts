import type { PdfData } from '../../../../shared/jobs/pdf.js';
import { PdfWriter } from '../writer.js';
import { cellText, type RenderedPdf, type RenderTools } from './types.js';

/** A report: title block, sections of wrapped text, and an optional table at the end. */
export async function renderReport(data: PdfData<'report'>, tools: RenderTools): Promise<RenderedPdf> {
  const writer = await PdfWriter.create({ title: data.title, ...(data.author ? { author: data.author } : {}), ...(data.subtitle ? { subject: data.subtitle } : {}), createdAt: tools.createdAt });
  writer.heading(data.title, 22);
  if (data.subtitle) writer.paragraph(data.subtitle, { size: 13 });
  const byline = [data.author, data.date].filter(Boolean).join(' · ');
  if (byline) writer.muted(byline);
  writer.rule();
  const share = data.table ? 0.7 : 0.95;
  for (const [index, section] of data.sections.entries()) {
    writer.heading(section.heading, 14);
    writer.paragraph(section.body);
    await tools.progress(((index + 1) / data.sections.length) * share, `section ${index + 1} of ${data.sections.length}`);
  }
  if (data.table) {
    if (data.table.caption) writer.heading(data.table.caption, 12);
    await writer.table({
      columns: data.table.columns,
      rows: data.table.rows.map((row) => row.map(cellText)),
      onPage: (done) => tools.progress(share + done * (0.95 - share), 'report table'),
    });
  }
  const bytes = await writer.finish(data.title);
  return { bytes, pages: writer.pageCount };
}
