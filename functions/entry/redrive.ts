import { parseConfig } from '../../shared/config/env.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { buildRedriveConsumer } from '../roots/redrive.js';

// Consumes the redrive queue: each message drives one redrive task for the rest of the invocation.
const config = parseConfig(process.env);
await enableTracing(config);
export const handler = buildRedriveConsumer(config).handler;
