import { parseConfig } from '../../shared/config/env.js';
import { notificationJob } from '../../shared/jobs/notification.js';
import { createLogger } from '../../shared/logging/logger.js';
import { createNotificationHandler } from '../jobs/notification/handler.js';
import { buildJobWorker } from '../roots/consumer.js';
import { notificationHandlerDeps } from '../roots/notification.js';
import { createCoreClients } from '../wiring.js';

const config = parseConfig(process.env);
const clients = createCoreClients(config);
const logger = createLogger(config, { fn: 'worker-notification' });

export const { handler } = buildJobWorker(notificationJob, createNotificationHandler(notificationHandlerDeps(config, clients, logger)), config, clients, logger);
