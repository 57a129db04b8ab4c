import { parseConfig } from '../../shared/config/env.js';
import { analysisJob } from '../../shared/jobs/analysis.js';
import { unlimited } from '../../shared/ports/rate-limiter.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { createAnalysisHandler } from '../jobs/analysis/handler.js';
import { analysisHandlerDeps, buildConsumerHandler } from '../roots/consumer.js';
import { createTextModel } from '../roots/text-model.js';

// Imports only its own job's definition and handler, so each consumer's bundle carries only its own code.
const config = parseConfig(process.env);
await enableTracing(config);
export const handler = buildConsumerHandler(analysisJob, createAnalysisHandler(analysisHandlerDeps(config, () => createTextModel(config))), config, undefined, undefined, { limiter: unlimited });
