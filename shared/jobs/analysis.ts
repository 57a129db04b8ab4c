import * as z from 'zod';
import { defineJob } from './define.js';

/**
 * Deterministic text analysis of a tool's description or a whole document (the seed's "analyze"
 * queue). A description up to 5,000,000 characters: what fits in the API's 5 MiB body; past 4 KB the
 * payload is stored in S3 and the consumer reads it back (functions/job-data/).
 */
export const analysisJob = defineJob({
  type: 'analysis',
  description: 'Text analysis of a tool description or document: counts, reading time, keywords, sentiment, category',
  payload: z
    .object({
      toolId: z.string().min(1).max(128),
      url: z
        .url({ protocol: /^https?$/, message: 'url must be an http(s) URL' })
        .max(2_048),
      description: z.string().min(1).max(5_000_000),
      priority: z.enum(['low', 'normal', 'high']).optional(),
    })
    .strict(),
  settings: { timeoutSeconds: 30, memoryMb: 256, batchSize: 10, maxConcurrency: 10, maxAttempts: 3 },
});
