import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RateLimiter, RateRule } from '../../shared/ports/rate-limiter.js';
import { HttpError } from './http-errors.js';

export interface EnqueueLimit {
  readonly limiter: RateLimiter;
  readonly rule: RateRule;
  readonly logger: Logger;
}

/**
 * Takes `cost` enqueues from the tenant's budget or throws 429 with `Retry-After` (whole seconds,
 * rounded up). If the limiter itself is down, the request goes through: a rate limiter must not
 * turn into an outage of the queue it protects.
 */
export async function takeEnqueueBudget(limit: EnqueueLimit, tenant: string, cost: number): Promise<Record<string, string>> {
  if (!limit.limiter.enabled) return {};
  try {
    const decision = await limit.limiter.take(`enqueue:tenant:${tenant}`, limit.rule, cost);
    const headers = { 'ratelimit-limit': String(limit.rule.limit), 'ratelimit-remaining': String(decision.remaining) };
    if (decision.allowed) return headers;
    const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
    throw new HttpError(
      429,
      'RATE_LIMITED',
      `tenant "${tenant}" may enqueue ${limit.rule.limit} jobs per ${limit.rule.windowSeconds} s; ${cost > 1 ? `these ${cost} jobs do` : 'this job does'} not fit — retry after ${retryAfter} s`,
      undefined,
      { ...headers, 'retry-after': retryAfter },
    );
  } catch (error) {
    if (!(error instanceof DependencyUnavailableError)) throw error;
    limit.logger.warn('enqueue rate limiter unavailable; allowing the request', { tenant, error });
    return {};
  }
}
