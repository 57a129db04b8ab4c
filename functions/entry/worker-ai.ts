import { parseConfig } from '../../shared/config/env.js';
import { aiJob } from '../../shared/jobs/ai.js';
import { createLogger } from '../../shared/logging/logger.js';
import { upstashSecretReader } from '../adapters/aws/upstash-secret.js';
import { createAiHandler } from '../jobs/ai/handler.js';
import { aiHandlerDeps, buildJobWorker } from '../roots/consumer.js';
import { loadRateLimiter } from '../roots/rate-limits.js';
import { createTextModel, describeTextModel } from '../roots/text-model.js';
import { createCoreClients } from '../wiring.js';

const config = parseConfig(process.env);
const clients = createCoreClients(config);
const logger = createLogger(config, { fn: 'worker-ai' });
logger.info(describeTextModel(config));
// Chat replies per tenant share one budget through Upstash; the credentials are read once per cold start.
const limiter = await loadRateLimiter(config, logger, upstashSecretReader(config));

export const { handler } = buildJobWorker(aiJob, createAiHandler(aiHandlerDeps(config, createTextModel(config), limiter)), config, clients, logger);
