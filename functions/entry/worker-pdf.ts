import { parseConfig } from '../../shared/config/env.js';
import { createPdfHandler } from '../jobs/pdf/handler.js';
import { buildJobWorker, createClients, pdfHandlerDeps } from '../wiring.js';

const config = parseConfig(process.env);
const clients = createClients(config);

export const { handler } = buildJobWorker('pdf', createPdfHandler(pdfHandlerDeps(config, clients)), config, clients);
