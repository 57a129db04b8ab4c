export interface BackoffPolicy {
  readonly baseSeconds: number;
  readonly maxSeconds: number;
}

/** SQS caps a message's visibility timeout at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 43_200;

/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the ceiling doubles per attempt, capped at `maxSeconds`, and the delay is uniform in [0, ceiling].
 * Full jitter spreads retries of a burst of failures so they do not return as a burst.
 * `attempt` is the attempt that just failed (1-based). `random` is injectable for tests.
 */
export function backoffDelaySeconds(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = backoffCeilingSeconds(policy, attempt);
  return Math.min(MAX_VISIBILITY_SECONDS, Math.round(random() * ceiling));
}

/** `min(max, base · 2^(attempt-1))` — the upper bound of the jittered delay. */
export function backoffCeilingSeconds(policy: BackoffPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxSeconds, policy.baseSeconds * 2 ** Math.min(exponent, 30));
}

/**
 * The latest the last of `maxAttempts` attempts can start after the first: the sum of the backoff
 * ceilings between them (full jitter draws each wait from [0, ceiling], so about half on average).
 * Time spent in the attempts themselves is not counted.
 */
export function retryWindowSeconds(policy: BackoffPolicy, maxAttempts: number): number {
  let total = 0;
  for (let attempt = 1; attempt < maxAttempts; attempt++) total += backoffCeilingSeconds(policy, attempt);
  return total;
}

/**
 * Completion webhook deliveries: 8 attempts, waits of at most 5 s doubling per attempt (the 15 min
 * cap is never reached: the 7th wait is at most 320 s), so the last attempt starts at most 635 s
 * (~10.6 min) after the first — `retryWindowSeconds`. The consumer, the CDK queue's maxReceiveCount
 * and the local queue all read it here.
 */
export const WEBHOOK_RETRY = { maxAttempts: 8, backoff: { baseSeconds: 5, maxSeconds: 900 } } as const;
