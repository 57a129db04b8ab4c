import { parseConfig } from '../../shared/config/env.js';
import { buildReleaser } from '../wiring.js';

// Invoked by EventBridge Scheduler one-time schedules with {"jobId": …} when a held job falls due.
export const { handler } = buildReleaser(parseConfig(process.env));
