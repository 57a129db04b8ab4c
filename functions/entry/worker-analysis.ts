import { parseConfig } from '../../shared/config/env.js';
import { analysisJob } from '../../shared/jobs/analysis.js';
import { analysisHandler } from '../jobs/analysis/handler.js';
import { buildJobWorker } from '../roots/consumer.js';

// Imports only its own job's definition and handler, so each consumer's bundle carries only its own code.
export const { handler } = buildJobWorker(analysisJob, analysisHandler, parseConfig(process.env));
