import type { ConveyorConfig } from '../../shared/config/env.js';
import type { Logger } from '../../shared/ports/logger.js';
import { DynamoNotificationStore } from '../adapters/aws/dynamo-notifications.js';
import { FollowUpEnqueuer } from '../jobs/follow-up.js';
import type { NotificationHandlerDeps } from '../jobs/notification/handler.js';
import { createJobQueue, createJobStore, type CoreClients } from '../wiring.js';

/**
 * The notification handler's ports: the inbox on the job table, and the API's enqueue path for its
 * e-mail copy. A module of its own: the enqueue path validates with the whole registry (every payload
 * schema, e-mail templates included), which no other consumer should bundle.
 */
export function notificationHandlerDeps(config: ConveyorConfig, clients: CoreClients, logger: Logger): NotificationHandlerDeps {
  return {
    store: new DynamoNotificationStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    followUp: new FollowUpEnqueuer({ store: createJobStore(config, clients), queue: createJobQueue(config, clients), logger }),
  };
}
