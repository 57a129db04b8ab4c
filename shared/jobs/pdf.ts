import { z } from 'zod';
import { defineJob } from './define.js';

/** PDF documents rendered on the worker and stored in S3 under the tenant's prefix. */
export const pdfJob = defineJob({
  type: 'pdf',
  description: 'PDF document (invoice, report, analysis report, certificate, table export) stored in S3',
  payload: z
    .object({
      kind: z.enum(['invoice', 'report', 'analysis-report', 'certificate', 'table-export']),
      data: z.record(z.string(), z.unknown()),
    })
    .strict(),
  settings: { timeoutSeconds: 60, memoryMb: 512, batchSize: 2, maxConcurrency: 4, maxAttempts: 3 },
});
