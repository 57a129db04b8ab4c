import { describe, expect, it } from 'vitest';
import { pdfJob } from '../../../shared/jobs/pdf.js';
import { certificateData, invoiceData, INVOICE_TOTAL, reportData, tableExportData } from '../../helpers/pdf-payloads.js';

function issuesOf(payload: unknown): { path: string; message: string }[] {
  const result = pdfJob.payload.safeParse(payload);
  return result.success ? [] : result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('Schema: pdf payload', () => {
  it.each([
    ['invoice', invoiceData({ expectedTotal: INVOICE_TOTAL })],
    ['report', reportData()],
    ['analysis-report', { analysisJobId: '0b6f1f5e-8a1e-4c4e-9d1a-1f2e3d4c5b6a' }],
    ['certificate', certificateData()],
    ['table-export', tableExportData(3)],
  ])('accepts a valid %s', (kind, data) => {
    expect(issuesOf({ kind, data })).toEqual([]);
  });

  it('refuses an invoice whose declared total differs from the computed one, giving the computed total', () => {
    const issues = issuesOf({ kind: 'invoice', data: invoiceData({ expectedTotal: 477.46 }) });
    expect(issues).toEqual([{ path: 'data.expectedTotal', message: expect.stringContaining('477.45') }]);
  });

  it.each([
    ['a price with 3 decimals', { kind: 'invoice', data: invoiceData({ items: [{ description: 'x', quantity: 1, unitPrice: 1.005 }] }) }, 'data.items.0.unitPrice'],
    ['a quantity of zero', { kind: 'invoice', data: invoiceData({ items: [{ description: 'x', quantity: 0, unitPrice: 1 }] }) }, 'data.items.0.quantity'],
    ['501 invoice lines', { kind: 'invoice', data: invoiceData({ items: Array.from({ length: 501 }, () => ({ description: 'x', quantity: 1, unitPrice: 1 })) }) }, 'data.items'],
    ['a lowercase currency', { kind: 'invoice', data: invoiceData({ currency: 'eur' }) }, 'data.currency'],
    ['a ragged table row', { kind: 'table-export', data: tableExportData(3, { rows: [[1, 'a', 'b', true, 1], [2, 'short']] }) }, 'data.rows.1'],
    ['10,001 rows', { kind: 'table-export', data: { columns: ['n'], rows: Array.from({ length: 10_001 }, (_, i) => [i]) } }, 'data.rows'],
    ['100,001 cells', { kind: 'table-export', data: { columns: Array.from({ length: 11 }, (_, i) => `c${i}`), rows: Array.from({ length: 9_091 }, () => Array.from({ length: 11 }, () => 1)) } }, 'data.rows'],
    ['13 columns', { kind: 'table-export', data: { columns: Array.from({ length: 13 }, (_, i) => `c${i}`), rows: [] } }, 'data.columns'],
    ['a cell over 500 characters', { kind: 'table-export', data: tableExportData(1, { rows: [[1, 'x'.repeat(501), 'e', true, 1]] }) }, 'data.rows.0.1'],
    ['a control character in a cell', { kind: 'table-export', data: tableExportData(1, { rows: [[1, 'a\u0007', 'e', true, 1]] }) }, 'data.rows.0.1'],
    ['a nested object in a cell', { kind: 'table-export', data: tableExportData(1, { rows: [[1, { html: '<b>' }, 'e', true, 1]] }) }, 'data.rows.0.1'],
    ['report text over 100,000 characters', { kind: 'report', data: reportData({ sections: Array.from({ length: 6 }, (_, i) => ({ heading: `s${i}`, body: 'x'.repeat(20_000) })) }) }, 'data.sections'],
    ['a section body over 20,000 characters', { kind: 'report', data: reportData({ sections: [{ heading: 'h', body: 'x'.repeat(20_001) }] }) }, 'data.sections.0.body'],
    ['an analysis job id that is not a UUID', { kind: 'analysis-report', data: { analysisJobId: '../../etc/passwd' } }, 'data.analysisJobId'],
    ['a URL to load in the document', { kind: 'certificate', data: certificateData({ logoUrl: 'http://169.254.169.254/latest/meta-data/' }) }, 'data'],
    ['an unknown kind', { kind: 'poster', data: {} }, 'kind'],
    ['a CR/LF in a title', { kind: 'certificate', data: certificateData({ title: 'a\r\nb' }) }, 'data.title'],
  ])('refuses %s, naming the field', (_label, payload, path) => {
    expect(issuesOf(payload).map((i) => i.path)).toContain(path);
  });
});
