import { rgb } from 'pdf-lib';
import type { PdfData } from '../../../../shared/jobs/pdf.js';
import { PAGE_SIZES, PdfWriter } from '../writer.js';
import type { RenderedPdf, RenderTools } from './types.js';

const ACCENT = rgb(0.15, 0.3, 0.6);

/** A one-page landscape certificate: framed, centred, with issuer, date and an optional id. */
export async function renderCertificate(data: PdfData<'certificate'>, tools: RenderTools): Promise<RenderedPdf> {
  const writer = await PdfWriter.create({ title: `${data.title}: ${data.recipientName}`, author: data.issuer, size: PAGE_SIZES.a4Landscape, createdAt: tools.createdAt });
  const { page } = writer;
  const [width, height] = PAGE_SIZES.a4Landscape;
  page.drawRectangle({ x: 24, y: 24, width: width - 48, height: height - 48, borderColor: ACCENT, borderWidth: 3 });
  page.drawRectangle({ x: 32, y: 32, width: width - 64, height: height - 64, borderColor: ACCENT, borderWidth: 0.8 });
  writer.centered(data.title.toUpperCase(), height - 130, { font: writer.bold, size: 30, color: ACCENT });
  writer.centered('This certifies that', height - 190, { size: 14 });
  writer.centered(data.recipientName, height - 245, { font: writer.bold, size: 34 });
  const lines = writer.wrap(data.achievement, writer.regular, 14, writer.width - 120).slice(0, 6);
  lines.forEach((line, i) => writer.centered(line, height - 295 - i * 20, { size: 14 }));
  const footerY = 120;
  writer.centered(`Issued on ${data.issuedOn} by ${data.issuer}`, footerY, { size: 12 });
  if (data.signatory) {
    page.drawLine({ start: { x: width / 2 - 110, y: footerY - 30 }, end: { x: width / 2 + 110, y: footerY - 30 }, thickness: 0.6 });
    writer.centered(data.signatory, footerY - 46, { size: 11 });
  }
  if (data.certificateId) writer.centered(`Certificate ${data.certificateId}`, 48, { size: 8, color: rgb(0.45, 0.45, 0.48) });
  await tools.progress(0.9, 'certificate drawn');
  return { bytes: await writer.doc.save(), pages: writer.pageCount };
}
