import type { PdfData } from '../../../../shared/jobs/pdf.js';
import { computeInvoiceTotals, formatCents, toScaledInteger } from '../../../../shared/jobs/invoice-math.js';
import { PdfWriter } from '../writer.js';
import type { RenderedPdf, RenderTools } from './types.js';

/**
 * An invoice: parties, line items, subtotal, tax and total. The totals are computed in integer
 * cents (shared/jobs/invoice-math.ts) and checked before printing: the printed line amounts must
 * add up to the printed subtotal, and subtotal + tax to the total.
 */
export async function renderInvoice(data: PdfData<'invoice'>, tools: RenderTools): Promise<RenderedPdf> {
  const totals = computeInvoiceTotals(data.items, data.taxRatePercent);
  assertConsistent(totals);
  const money = (cents: bigint) => `${formatCents(cents)} ${data.currency}`;

  const writer = await PdfWriter.create({ title: `Invoice ${data.invoiceNumber}`, subject: `Invoice ${data.invoiceNumber} to ${data.buyer.name}`, author: data.seller.name, createdAt: tools.createdAt });
  writer.heading(`Invoice ${data.invoiceNumber}`, 20);
  writer.keyValues([
    ['Issue date', data.issueDate],
    ...(data.dueDate ? ([['Due date', data.dueDate]] as const) : []),
    ['From', partyText(data.seller)],
    ['Bill to', partyText(data.buyer)],
  ]);
  writer.rule();
  await tools.progress(0.2, 'invoice header');

  await writer.table({
    columns: ['Description', 'Quantity', 'Unit price', 'Amount'],
    rows: data.items.map((item, i) => [item.description, String(item.quantity), formatCents(toScaledInteger(item.unitPrice, 2)!), formatCents(totals.lineCents[i]!)]),
    weights: [5, 1.3, 1.8, 2],
    align: ['left', 'right', 'right', 'right'],
    onPage: (done) => tools.progress(0.2 + done * 0.6, 'invoice lines'),
  });
  writer.keyValues([
    ['Subtotal', money(totals.subtotalCents)],
    [`Tax (${data.taxRatePercent}%)`, money(totals.taxCents)],
    ['Total due', money(totals.totalCents)],
  ], 11);
  if (data.notes) {
    writer.rule();
    writer.paragraph(data.notes, { size: 9 });
  }
  await tools.progress(0.95, 'invoice totals');
  const bytes = await writer.finish(`Invoice ${data.invoiceNumber}`);
  return { bytes, pages: writer.pageCount };
}

function partyText(party: PdfData<'invoice'>['seller']): string {
  return [party.name, ...(party.address ?? []), ...(party.taxId ? [`Tax id: ${party.taxId}`] : [])].join('\n');
}

/** The invariants an invoice must satisfy before it is printed; a failure here is a bug, not bad input. */
function assertConsistent(totals: ReturnType<typeof computeInvoiceTotals>): void {
  const sum = totals.lineCents.reduce((a, b) => a + b, 0n);
  if (sum !== totals.subtotalCents || totals.subtotalCents + totals.taxCents !== totals.totalCents) {
    throw new Error(`invoice totals do not add up: lines ${sum}, subtotal ${totals.subtotalCents}, tax ${totals.taxCents}, total ${totals.totalCents}`);
  }
}
