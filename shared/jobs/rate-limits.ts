import type { RateRule } from '../ports/rate-limiter.js';
import type { JobType } from './registry.js';

/**
 * A consumer-side limit shared by every worker that calls one provider, e.g. SES's sending rate.
 * The key is the provider, not the job type: two job types sending through SES share one budget.
 */
export interface ProviderLimit extends RateRule {
  readonly provider: string;
}

/**
 * Provider limits per job type. SES's default production sending rate is 14 messages per second
 * (sandbox: 1/s); raise it here when AWS raises the account's quota.
 */
export const providerLimits: Readonly<Partial<Record<JobType, ProviderLimit>>> = {
  email: { provider: 'ses', limit: 14, windowSeconds: 1 },
};

/** Per-tenant enqueue limit unless `CONVEYOR_TENANT_ENQUEUE_LIMIT` says otherwise. */
export const DEFAULT_TENANT_ENQUEUE_LIMIT: RateRule = { limit: 600, windowSeconds: 60 };

/** Parses `<limit>/<windowSeconds>`, e.g. `600/60`. */
export function parseRateRule(text: string): RateRule | undefined {
  const match = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)\s*s?\s*$/.exec(text);
  if (!match) return undefined;
  const rule = { limit: Number(match[1]), windowSeconds: Number(match[2]) };
  return rule.limit >= 1 && rule.windowSeconds > 0 && rule.windowSeconds <= 86_400 ? rule : undefined;
}
