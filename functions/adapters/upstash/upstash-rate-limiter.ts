import { randomBytes } from 'node:crypto';
import { Redis } from '@upstash/redis';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { RateDecision, RateLimiter, RateRule } from '../../../shared/ports/rate-limiter.js';

/**
 * Sliding-window log, atomic in one EVAL: the key is a sorted set of the units taken, scored by the
 * time they were taken. Expired entries are dropped, the rest counted, and the new units added only
 * if they all fit — no two callers can both take the last unit, whatever the number of Lambdas.
 * Exact (no fixed-window burst of 2× the limit at a boundary); memory is O(limit) per key, which is
 * fine for per-tenant and per-provider limits in the hundreds or thousands.
 * Time is Redis's own `TIME`, so every consumer shares one clock, whatever the Lambdas' clocks say.
 * Returns {allowed (1|0), remaining, retryAfterMs}.
 */
export const SLIDING_WINDOW_LUA = `
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local nonce = ARGV[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count + cost <= limit then
  for i = 1, cost do redis.call('ZADD', key, now, nonce .. ':' .. i) end
  redis.call('PEXPIRE', key, window)
  return {1, limit - count - cost, 0}
end
if cost > limit then return {0, 0, window} end
-- The (count + cost - limit)-th oldest entry must expire before cost units fit.
local needed = redis.call('ZRANGE', key, count + cost - limit - 1, count + cost - limit - 1, 'WITHSCORES')
local retry = tonumber(needed[2]) + window - now
if retry < 1 then retry = 1 end
return {0, math.max(0, limit - count), retry}
`;

/** An Upstash database's REST endpoint and token (from Secrets Manager on AWS, plain variables locally). */
export interface UpstashCredentials {
  readonly url: string;
  readonly token: string;
}

export interface UpstashRateLimiterOptions extends UpstashCredentials {
  /** Key prefix, e.g. `conveyor:prod:` — several stages can share one database. */
  readonly prefix: string;
  /** Per-call time limit: a slow limiter must not hold an enqueue for long. */
  readonly timeoutMs?: number;
  readonly client?: Redis;
}

export class UpstashRateLimiter implements RateLimiter {
  readonly enabled = true;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #script;

  constructor(options: UpstashRateLimiterOptions) {
    // One retry, not the client's default five with exponential backoff (≈4 s): callers fail open.
    this.#redis = options.client ?? new Redis({ url: options.url, token: options.token, retry: { retries: 1, backoff: () => 50 }, enableTelemetry: false });
    this.#prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#script = this.#redis.createScript<[number, number, number]>(SLIDING_WINDOW_LUA);
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const nonce = randomBytes(8).toString('hex');
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${this.#timeoutMs} ms`)), this.#timeoutMs);
      });
      const [allowed, remaining, retryAfterMs] = await Promise.race([
        this.#script.exec([`${this.#prefix}${key}`], [String(rule.limit), String(Math.round(rule.windowSeconds * 1000)), String(cost), nonce]),
        timeout,
      ]);
      return { allowed: allowed === 1, remaining: Number(remaining), retryAfterMs: Number(retryAfterMs) };
    } catch (error) {
      throw new DependencyUnavailableError('upstash', `rate limiter failed — ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      clearTimeout(timer);
    }
  }
}
