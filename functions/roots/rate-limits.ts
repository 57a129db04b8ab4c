import type { ConveyorConfig } from '../../shared/config/env.js';
import { unlimited, type RateLimiter } from '../../shared/ports/rate-limiter.js';
import { UpstashRateLimiter } from '../adapters/upstash/upstash-rate-limiter.js';
import { tenantEnqueueRule } from '../scheduling/wiring.js';

/*
 * The rate limiter of the functions that limit (the API: per-tenant enqueue; the email consumer: the
 * SES sending rate), in a module of its own so that no other function bundles the Upstash client.
 */

/** The shared limiter: Upstash when both UPSTASH_REDIS_REST_* variables are set, otherwise off. */
export function createRateLimiter(config: ConveyorConfig): RateLimiter {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return unlimited;
  return new UpstashRateLimiter({ url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, prefix: `conveyor:${config.CONVEYOR_STAGE}:` });
}

/** One line for start-up logs: whether limits are on, and why not when they are off. */
export function describeRateLimits(config: ConveyorConfig, reason?: string): string {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) {
    return `rate limits OFF — Upstash Redis is not configured (UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN unset)${reason ? `: ${reason}` : ''}`;
  }
  const rule = tenantEnqueueRule(config);
  return `rate limits ON — Upstash Redis at ${config.UPSTASH_REDIS_REST_URL}; enqueue ${rule.limit} jobs per ${rule.windowSeconds} s per tenant`;
}
