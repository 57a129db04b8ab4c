import type { ConveyorConfig } from '../../shared/config/env.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { RateLimiter } from '../../shared/ports/rate-limiter.js';
import { upstashSecretReader } from '../adapters/aws/upstash-secret.js';
import { loadRateLimiter } from './rate-limits.js';

/**
 * The limiter of a consumer whose provider has a rate limit (shared/jobs/rate-limits.ts): the
 * generated entry of such a type passes this to `startConsumer`; no other consumer imports it, so
 * none other bundles the Upstash or Secrets Manager clients.
 */
export function loadConsumerRateLimiter(config: ConveyorConfig, logger: Logger): Promise<RateLimiter> {
  return loadRateLimiter(config, logger, upstashSecretReader(config));
}
