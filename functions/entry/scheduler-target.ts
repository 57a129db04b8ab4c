import { parseConfig } from '../../shared/config/env.js';
import { buildSchedulerTarget } from '../roots/scheduler-target.js';

// Invoked by EventBridge Scheduler: one-time schedules release held jobs, recurring ones enqueue cron jobs.
export const handler = buildSchedulerTarget(parseConfig(process.env)).handler;
