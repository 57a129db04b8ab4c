import { createHash, randomBytes } from 'node:crypto';
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
}

const SCRIPT_SHA = createHash('sha1').update(SLIDING_WINDOW_LUA).digest('hex');

/** Redis answered the command with an error (`{"error": "..."}`), or the endpoint refused it. */
class UpstashCommandError extends Error {
  override readonly name = 'UpstashCommandError';

  constructor(readonly status: number, readonly reply: string) {
    super(`HTTP ${status}: ${reply}`);
  }
}

/**
 * The one command this needs, over Upstash's REST API directly: a command is a JSON array POSTed to
 * the database URL with the token as a bearer, and the answer is `{"result": …}` or `{"error": …}`
 * (https://upstash.com/docs/redis/features/restapi). No client library: @upstash/redis would add
 * some 80 KB to every function that limits rates, for one EVALSHA.
 */
export class UpstashRateLimiter implements RateLimiter {
  readonly enabled = true;
  readonly #url: string;
  readonly #token: string;
  readonly #prefix: string;
  readonly #timeoutMs: number;

  constructor(options: UpstashRateLimiterOptions) {
    this.#url = options.url;
    this.#token = options.token;
    this.#prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs ?? 1_000;
  }

  async take(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const nonce = randomBytes(8).toString('hex');
    const args = [`${this.#prefix}${key}`, String(rule.limit), String(Math.round(rule.windowSeconds * 1000)), String(cost), nonce];
    const signal = AbortSignal.timeout(this.#timeoutMs);
    try {
      // The script by its hash; loaded with EVAL the first time a database has not seen it.
      let answer: unknown;
      try {
        answer = await this.#command(['EVALSHA', SCRIPT_SHA, '1', ...args], signal);
      } catch (error) {
        if (!(error instanceof UpstashCommandError && error.reply.startsWith('NOSCRIPT'))) throw error;
        answer = await this.#command(['EVAL', SLIDING_WINDOW_LUA, '1', ...args], signal);
      }
      if (!Array.isArray(answer) || answer.length !== 3) throw new UpstashCommandError(200, `unexpected answer ${JSON.stringify(answer)}`);
      const [allowed, remaining, retryAfterMs] = answer as unknown[];
      return { allowed: Number(allowed) === 1, remaining: Number(remaining), retryAfterMs: Number(retryAfterMs) };
    } catch (error) {
      const reason = signal.aborted ? `no answer in ${this.#timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      throw new DependencyUnavailableError('upstash', `rate limiter failed — ${reason}`, { cause: error });
    }
  }

  async #command(command: readonly string[], signal: AbortSignal): Promise<unknown> {
    const response = await fetch(this.#url, {
      method: 'POST',
      headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
      body: JSON.stringify(command),
      signal,
    });
    const text = await response.text();
    let body: { result?: unknown; error?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    if (body && typeof body.error === 'string') throw new UpstashCommandError(response.status, body.error);
    if (!response.ok || !body || !('result' in body)) throw new UpstashCommandError(response.status, text.slice(0, 200));
    return body.result;
  }
}
