import { parseConfig } from '../../shared/config/env.js';
import { createEmailHandler } from '../jobs/email/handler.js';
import { buildConsumerHandler, createClients, emailHandlerDeps } from '../wiring.js';

const config = parseConfig(process.env);
const clients = createClients(config);

// The consumer behind SES's sending-rate limit (shared through Upstash) when Upstash is configured.
export const handler = buildConsumerHandler('email', createEmailHandler(emailHandlerDeps(config, clients)), config, clients);
