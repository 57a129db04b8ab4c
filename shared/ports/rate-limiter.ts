/** A limit: at most `limit` units in any window of `windowSeconds`. */
export interface RateRule {
  readonly limit: number;
  readonly windowSeconds: number;
}

export interface RateDecision {
  readonly allowed: boolean;
  /** Units left in the current window after this call (0 when refused). */
  readonly remaining: number;
  /** When refused: milliseconds until `cost` units fit again. 0 when allowed. */
  readonly retryAfterMs: number;
}

/**
 * A shared rate limiter (Upstash Redis on AWS, the local REST endpoint locally). `take` is atomic:
 * either all `cost` units are taken or none.
 */
export interface RateLimiter {
  /** False when no backing store is configured and every call is allowed. */
  readonly enabled: boolean;
  take(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
}

/** The limiter when Upstash is not configured: limits are off, every call is allowed. */
export const unlimited: RateLimiter = {
  enabled: false,
  take: (_key, rule) => Promise.resolve({ allowed: true, remaining: rule.limit, retryAfterMs: 0 }),
};
