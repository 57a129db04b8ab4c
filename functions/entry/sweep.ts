import { parseConfig } from '../../shared/config/env.js';
import { buildRecoverySweep } from '../roots/sweep.js';

// Invoked every minute by an EventBridge rule: finishes what crashes left (functions/recovery/sweep.ts).
export const handler = buildRecoverySweep(parseConfig(process.env)).handler;
