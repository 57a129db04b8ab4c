import type { ConveyorConfig } from '../../shared/config/env.js';
import type { Logger } from '../../shared/ports/logger.js';
import { FollowUpEnqueuer } from '../jobs/follow-up.js';
import type { CapabilityPorts } from '../jobs/define-handler.js';
import { createJobQueue, createJobStore, type CoreClients } from '../wiring.js';

/**
 * The `enqueue` capability: the API's own enqueue path (record first, then message) for follow-up
 * jobs. A module of its own: that path validates with the whole registry (every payload schema,
 * e-mail templates included), which no other consumer should bundle.
 */
export function enqueuePort(config: ConveyorConfig, clients: CoreClients, logger: Logger): CapabilityPorts['enqueue'] {
  return new FollowUpEnqueuer({ store: createJobStore(config, clients), queue: createJobQueue(config, clients), logger });
}
