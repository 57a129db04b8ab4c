/** Valid `data` for each PDF kind, small enough for unit tests; e2e tests enlarge them. */
export const invoiceData = (overrides: Record<string, unknown> = {}) => ({
  invoiceNumber: 'INV-2026-0042',
  issueDate: '2026-11-23',
  dueDate: '2026-12-23',
  currency: 'EUR',
  seller: { name: 'Conveyor GmbH', address: ['Hauptstraße 1', '10115 Berlin'], taxId: 'DE123456789' },
  buyer: { name: 'Acme Corp', address: ['1 Main St', 'Springfield'] },
  items: [
    { description: 'Queue hosting (November)', quantity: 1, unitPrice: 199.99 },
    { description: 'Support hours', quantity: 2.5, unitPrice: 80 },
    { description: 'E-mails sent (per thousand)', quantity: 12.345, unitPrice: 0.1 },
  ],
  taxRatePercent: 19,
  notes: 'Thank you for your business.\nPayable within 30 days.',
  ...overrides,
});
// 199.99 + 200.00 + 1.23 (12.345 × 0.10 = 1.2345 → 1.23) = 401.22; tax 19 % = 76.2318 → 76.23; total 477.45
export const INVOICE_TOTAL = 477.45;

export const reportData = (overrides: Record<string, unknown> = {}) => ({
  title: 'Quarterly operations report',
  subtitle: 'Q4 2026',
  author: 'Ops team',
  date: '2026-11-23',
  sections: [
    { heading: 'Summary', body: 'Queues stayed healthy all quarter.\n\nNo job was lost.' },
    { heading: 'Incidents', body: 'One throttling episode on SES, absorbed by retries with backoff.' },
  ],
  table: { caption: 'Jobs per type', columns: ['Type', 'Jobs', 'Failed'], rows: [['analysis', 1200, 3], ['email', 5400, 0], ['pdf', 310, null]] },
  ...overrides,
});

export const certificateData = (overrides: Record<string, unknown> = {}) => ({
  recipientName: 'Ada Lovelace',
  title: 'Certificate of completion',
  achievement: 'for completing the course Serverless Job Queues on AWS with distinction',
  issuedOn: '2026-11-23',
  issuer: 'Conveyor Academy',
  signatory: 'Grace Hopper, Director',
  certificateId: 'CERT-0001',
  ...overrides,
});

export const tableExportData = (rows: number, overrides: Record<string, unknown> = {}) => ({
  title: 'Customer export',
  columns: ['#', 'Name', 'E-mail', 'Active', 'Balance'],
  rows: Array.from({ length: rows }, (_, i) => [i + 1, `Customer ${i + 1}`, `customer${i + 1}@example.com`, i % 2 === 0, i * 10.5]),
  ...overrides,
});
