import * as z from 'zod';
import { defineJob } from './define.js';

/**
 * Deterministic text analysis of a tool's description or a whole document (the seed's "analyze"
 * queue). A description up to 5,000,000 characters: what fits in the API's 5 MiB body; past 4 KB the
 * payload is stored in S3 and the consumer reads it back (functions/job-data/).
 */
export const analysisJob = defineJob({
  type: 'analysis',
  description: 'Analysis of a tool: counts, reading time, keywords, sentiment, category, strengths, limitations, use cases, maturity',
  payload: z
    .object({
      toolId: z.string().min(1).max(128),
      url: z
        .url({ protocol: /^https?$/, message: 'url must be an http(s) URL' })
        .max(2_048),
      /** Optional: without one the analysis works from the URL alone (and says so in its limitations). Up to 5,000,000 characters (a document; past 4 KB the payload is kept in S3). */
      description: z.string().min(1).max(5_000_000).optional(),
      /** The analyze API's own field, kept: the same as the top-level `priority` enqueue option. */
      priority: z.enum(['low', 'normal', 'high']).optional(),
    })
    .strict(),
  settings: { timeoutSeconds: 30, memoryMb: 256, batchSize: 10, maxConcurrency: 10, maxAttempts: 3, priorities: true },
});
