import type { JobRecord } from '../../shared/domain/job.js';
import { assessPayload } from '../jobs/analysis/assessment.js';

/**
 * A finished job's result as the API shows it. An `analysis` result gains its assessment (strengths,
 * limitations, use cases, maturity score) here, computed from the payload, unless a model wrote one
 * and it was stored (see functions/jobs/analysis/assessment.ts for why it is not stored otherwise).
 */
export function resultView(job: JobRecord): unknown {
  if (job.type !== 'analysis' || job.status !== 'SUCCEEDED' || !isObject(job.result) || job.result.analysis !== undefined) return job.result;
  const payload = job.payload as { url?: unknown; description?: unknown };
  if (typeof payload?.url !== 'string') return job.result;
  return { ...job.result, analysis: assessPayload({ url: payload.url, ...(typeof payload.description === 'string' ? { description: payload.description } : {}) }) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
