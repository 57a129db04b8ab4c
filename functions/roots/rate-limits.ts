import type { ConveyorConfig } from '../../shared/config/env.js';
import type { Logger } from '../../shared/ports/logger.js';
import { urlForLog } from '../../shared/logging/redact.js';
import { unlimited, type RateLimiter } from '../../shared/ports/rate-limiter.js';
import { UpstashRateLimiter, type UpstashCredentials } from '../adapters/upstash/upstash-rate-limiter.js';
import { tenantEnqueueRule } from '../scheduling/wiring.js';

/*
 * The rate limiter of the functions that limit (the API: per-tenant enqueue; the email consumer: the
 * SES sending rate), in a module of its own so that no other function bundles the Upstash client.
 */

/** Upstash credentials and where they came from (for the start-up line; never the token). */
export interface UpstashSettings extends UpstashCredentials {
  readonly source: string;
}

/** Reads the Secrets Manager secret named in CONVEYOR_UPSTASH_SECRET (functions/adapters/aws/upstash-secret.ts). */
export type UpstashSecretReader = (secretId: string) => Promise<UpstashCredentials>;

/** The plain variables: `npm start`'s local Upstash endpoint, or any process that sets them. */
function upstashFromEnv(config: ConveyorConfig): UpstashSettings | undefined {
  if (!config.UPSTASH_REDIS_REST_URL || !config.UPSTASH_REDIS_REST_TOKEN) return undefined;
  return { url: config.UPSTASH_REDIS_REST_URL, token: config.UPSTASH_REDIS_REST_TOKEN, source: 'UPSTASH_REDIS_REST_URL / _TOKEN' };
}

/** The shared limiter: Upstash when configured, otherwise off. */
export function createRateLimiter(config: ConveyorConfig, upstash = upstashFromEnv(config)): RateLimiter {
  if (!upstash) return unlimited;
  return new UpstashRateLimiter({ url: upstash.url, token: upstash.token, prefix: `conveyor:${config.CONVEYOR_STAGE}:` });
}

/** One line for start-up logs: whether limits are on, and why not when they are off. */
export function describeRateLimits(config: ConveyorConfig, reason?: string, upstash = upstashFromEnv(config)): string {
  if (!upstash) {
    return `rate limits OFF — Upstash Redis is not configured (CONVEYOR_UPSTASH_SECRET and UPSTASH_REDIS_REST_URL / UPSTASH_REDIS_REST_TOKEN unset)${reason ? `: ${reason}` : ''}`;
  }
  const rule = tenantEnqueueRule(config);
  return `rate limits ON — Upstash Redis at ${urlForLog(upstash.url)} (from ${upstash.source}); enqueue ${rule.limit} jobs per ${rule.windowSeconds} s per tenant`;
}

/**
 * The limiter of a rate-limiting Lambda, built once per cold start (its entry awaits this at module
 * scope, before the first request): from the Secrets Manager secret named in CONVEYOR_UPSTASH_SECRET
 * (on AWS), else from UPSTASH_REDIS_REST_URL / _TOKEN (locally), else off. Logs which, in one line.
 * A secret that is set but unreadable or malformed fails the cold start with a ConfigurationError:
 * a stage deployed with limits must not quietly run without them.
 */
export async function loadRateLimiter(config: ConveyorConfig, logger: Logger, readSecret: UpstashSecretReader): Promise<RateLimiter> {
  const secretId = config.CONVEYOR_UPSTASH_SECRET;
  const upstash = secretId ? { ...(await readSecret(secretId)), source: `Secrets Manager secret "${secretId}"` } : upstashFromEnv(config);
  const line = describeRateLimits(config, undefined, upstash);
  if (upstash) logger.info(line, { rateLimits: 'on' });
  else logger.warn(line, { rateLimits: 'off' });
  return createRateLimiter(config, upstash);
}
