import * as z from 'zod';
import { defineJob } from './define.js';

/** Deterministic text analysis of a tool's description (the seed's "analyze" queue). */
export const analysisJob = defineJob({
  type: 'analysis',
  description: 'Analysis of a tool: counts, reading time, keywords, sentiment, category, strengths, limitations, use cases, maturity',
  payload: z
    .object({
      toolId: z.string().min(1).max(128),
      url: z
        .url({ protocol: /^https?$/, message: 'url must be an http(s) URL' })
        .max(2_048),
      /** Optional: without one the analysis works from the URL alone (and says so in its limitations). */
      description: z.string().min(1).max(20_000).optional(),
      priority: z.enum(['low', 'normal', 'high']).optional(),
    })
    .strict(),
  settings: { timeoutSeconds: 30, memoryMb: 256, batchSize: 10, maxConcurrency: 10, maxAttempts: 3 },
});
