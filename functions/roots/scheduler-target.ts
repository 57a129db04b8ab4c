import type { ConveyorConfig } from '../../shared/config/env.js';
import { recurringJobs, type RecurringJobDefinition } from '../../shared/jobs/recurring.js';
import { createInvocations } from '../../shared/logging/invocation.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { DynamoIdempotencyStore } from '../adapters/aws/dynamo-idempotency-store.js';
import { JobService } from '../api/job-service.js';
import { RecurringJobRunner } from '../scheduling/recurring.js';
import { ScheduledJobReleaser } from '../scheduling/release.js';
import { schedulerTarget } from '../scheduling/scheduler-target.js';
import { createCoreClients, createJobQueue, createJobStore, createTenantActivity, type CoreClients } from '../wiring.js';

/**
 * Composition root of the EventBridge Scheduler target: releases held jobs and enqueues recurring
 * ones (through the same JobService as the API, idempotently per occurrence).
 * It gets no release scheduler of its own: a recurring request cannot carry `runAt`
 * (defineRecurringJob refuses one), so its JobService never holds a job, and the target need not
 * bundle the EventBridge Scheduler client.
 */
export function buildSchedulerTarget(
  config: ConveyorConfig,
  clients: CoreClients = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: 'scheduler-target' }),
  { scheduler, definitions = recurringJobs }: { scheduler?: ReleaseScheduler | undefined; definitions?: readonly RecurringJobDefinition[] } = {},
) {
  const store = createJobStore(config, clients);
  const queue = createJobQueue(config, clients);
  const idempotency = new DynamoIdempotencyStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
  const releaser = new ScheduledJobReleaser({ store, queue, logger });
  const activity = createTenantActivity(config, clients);
  const recurring = new RecurringJobRunner({ jobs: new JobService({ store, queue, logger, idempotency, scheduler, activity }), definitions, logger });
  return { releaser, recurring, handler: createInvocations(config).wrap(schedulerTarget({ releaser, recurring })) };
}
