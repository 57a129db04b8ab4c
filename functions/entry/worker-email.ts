import { parseConfig } from '../../shared/config/env.js';
import { notImplemented } from '../jobs/not-implemented.js';
import { buildConsumerHandler } from '../wiring.js';

// The consumer behind SES's sending-rate limit (shared through Upstash) when Upstash is configured.
export const handler = buildConsumerHandler('email', notImplemented('email'), parseConfig(process.env));
