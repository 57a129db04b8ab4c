import * as z from 'zod';
import { defineJob } from './define.js';
import { isoDate, multiLine, singleLine } from './fields.js';
import { computeInvoiceTotals, formatCents, toScaledInteger } from './invoice-math.js';

/**
 * Size limits on PDF input, each a clear 400 at enqueue. They bound render time and memory within
 * the pdf worker's settings below.
 */
export const PDF_LIMITS = {
  invoiceItems: 500,
  reportSections: 100,
  reportTextChars: 100_000,
  tableColumns: 12,
  tableRows: 10_000,
  tableCells: 100_000,
  cellChars: 500,
} as const;

/** A table cell: short text, a number, a boolean or empty. No control characters. */
const cell = z.union([
  z
    .string()
    .max(PDF_LIMITS.cellChars, `a cell holds at most ${PDF_LIMITS.cellChars} characters`)
    .refine((v) => !/[\p{Cc}\u2028\u2029]/u.test(v), { message: 'control characters are not allowed in a cell' }),
  z.number().finite(),
  z.boolean(),
  z.null(),
]);

/** The fields of a table: a header and rows of cells. */
const tableShape = {
  columns: z.array(singleLine(60)).min(1, 'at least one column').max(PDF_LIMITS.tableColumns, `at most ${PDF_LIMITS.tableColumns} columns`),
  rows: z.array(z.array(cell)),
};

/** Every row as wide as the header, within the row and cell limits. */
function checkTable(maxRows: number) {
  return (t: { columns: readonly unknown[]; rows: readonly (readonly unknown[])[] }, ctx: z.RefinementCtx): void => {
    if (t.rows.length > maxRows) ctx.addIssue({ code: 'custom', path: ['rows'], message: `${t.rows.length} rows; at most ${maxRows}` });
    const cells = t.rows.length * t.columns.length;
    if (cells > PDF_LIMITS.tableCells) ctx.addIssue({ code: 'custom', path: ['rows'], message: `${cells} cells; at most ${PDF_LIMITS.tableCells}` });
    const ragged = t.rows.findIndex((row) => row.length !== t.columns.length);
    if (ragged >= 0) ctx.addIssue({ code: 'custom', path: ['rows', ragged], message: `has ${t.rows[ragged]!.length} cells; the table has ${t.columns.length} columns` });
  };
}

const decimals = (places: number) => (value: number) => toScaledInteger(value, places) !== undefined;
const money = z.number().min(0).max(10_000_000).refine(decimals(2), 'at most 2 decimals');

const party = z
  .object({
    name: singleLine(120),
    address: z.array(singleLine(120)).max(6).optional(),
    taxId: singleLine(40).optional(),
  })
  .strict();

const invoice = z
  .object({
    invoiceNumber: singleLine(40),
    issueDate: isoDate,
    dueDate: isoDate.optional(),
    currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code like EUR'),
    seller: party,
    buyer: party,
    items: z
      .array(
        z
          .object({
            description: singleLine(200),
            quantity: z.number().positive().max(1_000_000).refine(decimals(3), 'at most 3 decimals'),
            unitPrice: money,
          })
          .strict(),
      )
      .min(1, 'an invoice needs at least one line')
      .max(PDF_LIMITS.invoiceItems, `at most ${PDF_LIMITS.invoiceItems} lines`),
    taxRatePercent: z.number().min(0).max(100).refine(decimals(2), 'at most 2 decimals'),
    notes: multiLine(2_000).optional(),
    /** When given, the total the sender expects; a mismatch with the computed total is a 400. */
    expectedTotal: z.number().min(0).refine(decimals(2), 'at most 2 decimals').optional(),
  })
  .strict()
  .superRefine((data, ctx) => {
    if (data.expectedTotal === undefined || !data.items.every((i) => decimals(3)(i.quantity) && decimals(2)(i.unitPrice)) || !decimals(2)(data.taxRatePercent)) return;
    const totals = computeInvoiceTotals(data.items, data.taxRatePercent);
    if (toScaledInteger(data.expectedTotal, 2) !== totals.totalCents) {
      ctx.addIssue({
        code: 'custom',
        path: ['expectedTotal'],
        message: `does not match the computed total ${formatCents(totals.totalCents)} (subtotal ${formatCents(totals.subtotalCents)} + tax ${formatCents(totals.taxCents)})`,
      });
    }
  });

const report = z
  .object({
    title: singleLine(200),
    subtitle: singleLine(200).optional(),
    author: singleLine(120).optional(),
    date: isoDate.optional(),
    sections: z
      .array(z.object({ heading: singleLine(200), body: multiLine(20_000) }).strict())
      .min(1, 'a report needs at least one section')
      .max(PDF_LIMITS.reportSections, `at most ${PDF_LIMITS.reportSections} sections`),
    table: z
      .object({ caption: singleLine(200).optional(), ...tableShape })
      .strict()
      .superRefine(checkTable(1_000))
      .optional(),
  })
  .strict()
  .superRefine((data, ctx) => {
    const chars = data.sections.reduce((sum, s) => sum + s.body.length, 0);
    if (chars > PDF_LIMITS.reportTextChars) ctx.addIssue({ code: 'custom', path: ['sections'], message: `${chars} characters of text; at most ${PDF_LIMITS.reportTextChars}` });
  });

const analysisReport = z
  .object({
    /** A finished `analysis` job of the same tenant; its stored result is what the report shows. */
    analysisJobId: z.uuid({ message: 'must be the id of an analysis job' }),
    title: singleLine(200).optional(),
  })
  .strict();

const certificate = z
  .object({
    recipientName: singleLine(120),
    title: singleLine(120),
    achievement: multiLine(500),
    issuedOn: isoDate,
    issuer: singleLine(120),
    signatory: singleLine(120).optional(),
    certificateId: singleLine(64).optional(),
  })
  .strict();

const tableExport = z
  .object({ title: singleLine(200).optional(), ...tableShape })
  .strict()
  .superRefine(checkTable(PDF_LIMITS.tableRows));

const kind = <K extends string, D extends z.ZodType>(name: K, data: D) => z.object({ kind: z.literal(name), data }).strict();

/** The PDF payload: a union on `kind`, each with its own data schema (no URLs: nothing is fetched). */
const pdfPayload = z.discriminatedUnion('kind', [
  kind('invoice', invoice),
  kind('report', report),
  kind('analysis-report', analysisReport),
  kind('certificate', certificate),
  kind('table-export', tableExport),
]);

export type PdfPayload = z.infer<typeof pdfPayload>;
export type PdfKind = PdfPayload['kind'];
export type PdfData<K extends PdfKind> = Extract<PdfPayload, { kind: K }>['data'];

/** PDF documents rendered on the worker and stored in S3 under the tenant's prefix. */
export const pdfJob = defineJob({
  type: 'pdf',
  description: 'PDF document (invoice, report, analysis report, certificate, table export) stored in S3',
  payload: pdfPayload,
  // Sized for the largest input the limits allow: 100,000 cells rendered to ~330 pages in ~15 s and
  // ~460 MB RSS locally (measured with the table-export e2e limits); Lambda's CPU share grows with memory.
  settings: { timeoutSeconds: 120, memoryMb: 1536, batchSize: 2, maxConcurrency: 4, maxAttempts: 3, uses: ['blobs'] },
});
