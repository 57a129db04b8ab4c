import { parseConfig } from '../../shared/config/env.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { buildRecoverySweep } from '../roots/sweep.js';

// Invoked every minute by an EventBridge rule: finishes what crashes left (functions/recovery/sweep.ts).
// Tracing first, so the SDK clients the root creates are traced where the stage traces.
const config = parseConfig(process.env);
await enableTracing(config);
export const handler = buildRecoverySweep(config).handler;
