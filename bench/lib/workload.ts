import { RetryableJobError } from '../../shared/domain/errors.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import type { JobHandler } from '../../functions/worker/context.js';

/**
 * The bench's workload. Every job is a real `analysis` job (the real handler runs); the toolId's
 * prefix picks a scenario, so one local cloud serves them all:
 * - `fast-…`: the analysis alone (it reports progress 4 times within a millisecond);
 * - `progress-…`: 5 progress updates spaced `progressSpacingMs` apart, then the analysis;
 * - `retry-…`: a retryable failure on the first attempt, then the analysis.
 */
export const DESCRIPTION =
  'A fast, reliable API for developers. Deploy code in seconds, scale to millions of requests, and sleep well: ' +
  'automatic retries, clear dashboards and honest pricing make it a joy to use.';

export function analysisPayload(toolId: string): PayloadOf<'analysis'> {
  return { toolId, url: 'https://example.com/tools/bench', description: DESCRIPTION };
}

export const EMAIL_PAYLOAD: PayloadOf<'email'> = { to: ['ada@example.com'], template: 'welcome', data: { name: 'Ada', loginUrl: 'https://app.example.com/login' } };

export interface WorkloadOptions {
  readonly progressSpacingMs: number;
  /** Called as each handler starts (the latency section records enqueue → start). */
  readonly onStart?: (jobId: string, atEpochMs: number) => void;
}

export function benchAnalysisHandler(options: WorkloadOptions): JobHandler<PayloadOf<'analysis'>> {
  return async (payload, context) => {
    options.onStart?.(context.jobId, performance.timeOrigin + performance.now());
    if (payload.toolId.startsWith('retry-') && context.attempt === 1) throw new RetryableJobError('injected by the bench: fails once, then succeeds');
    if (payload.toolId.startsWith('progress-')) {
      for (let step = 1; step <= 5; step++) {
        await new Promise((resolve) => setTimeout(resolve, options.progressSpacingMs));
        await context.progress(step * 15, `bench step ${step} of 5`);
      }
    }
    return analysisHandler(payload, context);
  };
}
