import { parseConfig } from '../../shared/config/env.js';
import { analysisJob } from '../../shared/jobs/analysis.js';
import { unlimited } from '../../shared/ports/rate-limiter.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { analysisHandler } from '../jobs/analysis/handler.js';
import { buildConsumerHandler } from '../roots/consumer.js';

// Imports only its own job's definition and handler, so each consumer's bundle carries only its own code.
const config = parseConfig(process.env);
await enableTracing(config);
export const handler = buildConsumerHandler(analysisJob, analysisHandler, config, undefined, undefined, { limiter: unlimited });
