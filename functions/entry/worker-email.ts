import { parseConfig } from '../../shared/config/env.js';
import { emailJob } from '../../shared/jobs/email.js';
import { createLogger } from '../../shared/logging/logger.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { upstashSecretReader } from '../adapters/aws/upstash-secret.js';
import { createEmailHandler } from '../jobs/email/handler.js';
import { buildConsumerHandler, emailHandlerDeps } from '../roots/consumer.js';
import { loadRateLimiter } from '../roots/rate-limits.js';
import { createEmailClients } from '../wiring.js';

const config = parseConfig(process.env);
await enableTracing(config);
const clients = createEmailClients(config);
const logger = createLogger(config, { fn: 'worker-email' });
// SES's sending rate is shared by every email consumer through Upstash; the credentials are read
// once per cold start (top-level await), before the first batch.
const limiter = await loadRateLimiter(config, logger, upstashSecretReader(config));

export const handler = buildConsumerHandler(emailJob, createEmailHandler(emailHandlerDeps(config, clients)), config, clients, logger, { limiter });
