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
 * Completion webhook deliveries: 16 attempts, waits from 15 s doubling to a 15-minute cap (15, 30, 60,
 * 120, 240, 480, then 900 s), so the last attempt comes 2¼–2½ hours after the first
 * (`webhookRetryWindowSeconds`). Why this shape: receivers are most often down for a deploy or an
 * incident of 15–60 minutes; attempts stay dense early (a blip heals in seconds) and never more than
 * 15 minutes apart later, so a receiver back up gets its webhooks within 15 minutes, and the window
 * outlasts a long deploy twice over before the DLQ (kept 14 days, redriven by `conveyor dlq redrive
 * webhooks`). Waits past the cap would only delay recovery. Each wait is its ceiling less up to 10 %
 * (`webhookDelaySeconds`): a burst of failures still spreads out, but the window is one a receiver can
 * count on (full jitter would halve it on average). The consumer, the CDK queue's maxReceiveCount, the
 * local queue and the docs all read it here.
 */
export const WEBHOOK_RETRY = { maxAttempts: 16, backoff: { baseSeconds: 15, maxSeconds: 900 }, jitter: 0.1 } as const;

/** The wait after failed webhook attempt `attempt` (1-based): its backoff ceiling less up to `jitter` of it. */
export function webhookDelaySeconds(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = backoffCeilingSeconds(policy, attempt);
  return Math.min(MAX_VISIBILITY_SECONDS, ceiling - Math.floor(random() * ceiling * WEBHOOK_RETRY.jitter));
}

/** Earliest and latest start of the last webhook attempt after the first (time in the POSTs not counted). */
export function webhookRetryWindowSeconds(policy: BackoffPolicy = WEBHOOK_RETRY.backoff, maxAttempts: number = WEBHOOK_RETRY.maxAttempts): { earliest: number; latest: number } {
  let earliest = 0;
  for (let attempt = 1; attempt < maxAttempts; attempt++) earliest += webhookDelaySeconds(policy, attempt, () => 1 - Number.EPSILON);
  return { earliest, latest: retryWindowSeconds(policy, maxAttempts) };
}
