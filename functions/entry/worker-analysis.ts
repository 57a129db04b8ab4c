import { parseConfig } from '../../shared/config/env.js';
import { analysisHandler } from '../jobs/analysis/handler.js';
import { buildJobWorker } from '../wiring.js';

// Imports only its own job's handler, so each consumer's bundle carries only its own code.
export const { handler } = buildJobWorker('analysis', analysisHandler, parseConfig(process.env));
