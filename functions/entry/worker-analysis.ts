import { parseConfig } from '../../shared/config/env.js';
import { analysisJob } from '../../shared/jobs/analysis.js';
import { createAnalysisHandler } from '../jobs/analysis/handler.js';
import { analysisHandlerDeps, buildJobWorker } from '../roots/consumer.js';
import { createTextModel } from '../roots/text-model.js';

const config = parseConfig(process.env);

// Imports only its own job's definition and handler, so each consumer's bundle carries only its own code.
export const { handler } = buildJobWorker(analysisJob, createAnalysisHandler(analysisHandlerDeps(config, () => createTextModel(config))), config);
