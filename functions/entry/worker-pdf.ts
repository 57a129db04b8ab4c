import { parseConfig } from '../../shared/config/env.js';
import { pdfJob } from '../../shared/jobs/pdf.js';
import { unlimited } from '../../shared/ports/rate-limiter.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { createPdfHandler } from '../jobs/pdf/handler.js';
import { buildConsumerHandler, pdfHandlerDeps } from '../roots/consumer.js';
import { createBlobClients } from '../wiring.js';

const config = parseConfig(process.env);
await enableTracing(config);
const clients = createBlobClients(config);

export const handler = buildConsumerHandler(pdfJob, createPdfHandler(pdfHandlerDeps(config, clients)), config, clients, undefined, { limiter: unlimited });
