import { parseConfig } from '../../shared/config/env.js';
import { notificationJob } from '../../shared/jobs/notification.js';
import { createInvocations } from '../../shared/logging/invocation.js';
import { createLogger } from '../../shared/logging/logger.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { createNotificationHandler } from '../jobs/notification/handler.js';
import { buildJobWorker } from '../roots/consumer.js';
import { notificationHandlerDeps } from '../roots/notification.js';
import { createCoreClients } from '../wiring.js';

const config = parseConfig(process.env);
await enableTracing(config);
const clients = createCoreClients(config);
const logger = createLogger(config, { fn: 'worker-notification' });

// Each invocation in its log scope: Lambda request id and cold start on every line.
export const handler = createInvocations(config).wrap(buildJobWorker(notificationJob, createNotificationHandler(notificationHandlerDeps(config, clients, logger)), config, clients, logger).handler);
