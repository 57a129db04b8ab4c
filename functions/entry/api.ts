import { parseConfig } from '../../shared/config/env.js';
import { createLogger } from '../../shared/logging/logger.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { httpApiHandler } from '../adapters/aws/http-api-event.js';
import { upstashSecretReader } from '../adapters/aws/upstash-secret.js';
import { buildApiApp } from '../roots/api.js';
import { loadRateLimiter } from '../roots/rate-limits.js';
import { createBlobClients } from '../wiring.js';

// Built once per cold start; the handler only adapts API Gateway events to the app. Tracing loads
// before any client is built, and the rate limiter's credentials are read here too (top-level await).
const config = parseConfig(process.env);
await enableTracing(config);
const logger = createLogger(config, { fn: 'api' });
const limiter = await loadRateLimiter(config, logger, upstashSecretReader(config));

export const handler = httpApiHandler(buildApiApp(config, createBlobClients(config), logger, { limiter }).fetch);
