import { parseConfig } from '../../shared/config/env.js';
import { pdfJob } from '../../shared/jobs/pdf.js';
import { createPdfHandler } from '../jobs/pdf/handler.js';
import { buildJobWorker, pdfHandlerDeps } from '../roots/consumer.js';
import { createBlobClients } from '../wiring.js';

const config = parseConfig(process.env);
const clients = createBlobClients(config);

export const { handler } = buildJobWorker(pdfJob, createPdfHandler(pdfHandlerDeps(config, clients)), config, clients);
