import { parseConfig } from '../../shared/config/env.js';
import { emailJob } from '../../shared/jobs/email.js';
import { createLogger } from '../../shared/logging/logger.js';
import { createEmailHandler } from '../jobs/email/handler.js';
import { buildConsumerHandler, emailHandlerDeps } from '../roots/consumer.js';
import { createRateLimiter } from '../roots/rate-limits.js';
import { createEmailClients } from '../wiring.js';

const config = parseConfig(process.env);
const clients = createEmailClients(config);
const logger = createLogger(config, { fn: 'worker-email' });

// The consumer behind SES's sending-rate limit (shared through Upstash) when Upstash is configured.
export const handler = buildConsumerHandler(emailJob, createEmailHandler(emailHandlerDeps(config, clients)), config, clients, logger, { limiter: createRateLimiter(config) });
