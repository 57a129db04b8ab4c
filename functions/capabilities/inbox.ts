import type { ConveyorConfig } from '../../shared/config/env.js';
import { DynamoNotificationStore } from '../adapters/aws/dynamo-notifications.js';
import type { CapabilityPorts } from '../jobs/define-handler.js';
import type { CoreClients } from '../wiring.js';

/** The `inbox` capability: users' notifications in the tenant's partition of the job table (JobWorker grants the consumer its PutItem). */
export function inboxPort(config: ConveyorConfig, clients: Pick<CoreClients, 'dynamo'>): CapabilityPorts['inbox'] {
  return new DynamoNotificationStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
}
