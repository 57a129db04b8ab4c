import { parseConfig } from '../../shared/config/env.js';
import { notImplemented } from '../jobs/not-implemented.js';
import { buildJobWorker } from '../wiring.js';

export const { handler } = buildJobWorker('pdf', notImplemented('pdf'), parseConfig(process.env));
