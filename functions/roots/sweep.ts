import type { ConveyorConfig } from '../../shared/config/env.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { DynamoIdempotencyStore } from '../adapters/aws/dynamo-idempotency-store.js';
import { DynamoRecoveryIndex } from '../adapters/aws/dynamo-recovery-index.js';
import { RecoverySweep, type RecoverySettings } from '../recovery/sweep.js';
import { createReleaseScheduler } from '../scheduling/wiring.js';
import { createCoreClients, createFollowUpFlusher, createJobQueue, createJobStore, type CoreClients } from '../wiring.js';
import { parentSender } from '../flows/send-parent.js';

/**
 * Composition root of the recovery sweep (functions/entry/sweep.ts, run on a schedule) and of the local
 * cloud's periodic sweep. It sends to the job queues and the webhook queue, and re-creates the
 * schedule of a held job whose enqueue died before making it.
 */
export function buildRecoverySweep(
  config: ConveyorConfig,
  clients: CoreClients = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: 'sweep' }),
  options: { scheduler?: ReleaseScheduler | undefined; now?: () => Date; settings?: Partial<RecoverySettings> } = {},
): RecoverySweep {
  const store = createJobStore(config, clients);
  const { scheduler = createReleaseScheduler(config), now, settings } = options;
  const queue = createJobQueue(config, clients);
  return new RecoverySweep({
    store,
    index: new DynamoRecoveryIndex({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    queue,
    followUps: createFollowUpFlusher(store, config, clients, logger, parentSender({ store, queue, logger, ...(now ? { now } : {}) })),
    idempotency: new DynamoIdempotencyStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    hasQueue: (type) => config.CONVEYOR_QUEUE_URLS[type] !== undefined,
    scheduler,
    logger,
    ...(now ? { now } : {}),
    ...(settings ? { settings } : {}),
  });
}
