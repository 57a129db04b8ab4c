import { parseConfig } from '../../shared/config/env.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { buildSchedulerTarget } from '../roots/scheduler-target.js';

// Invoked by EventBridge Scheduler: one-time schedules release held jobs, recurring ones enqueue cron jobs.
const config = parseConfig(process.env);
await enableTracing(config);
export const handler = buildSchedulerTarget(config).handler;
