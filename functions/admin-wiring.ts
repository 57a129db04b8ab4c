import type { ConveyorConfig } from '../shared/config/env.js';
import { jobDefinitions } from '../shared/jobs/registry.js';
import { queueSettingsOf } from '../shared/jobs/derived.js';
import type { JobQueue } from '../shared/ports/job-queue.js';
import type { JobStore } from '../shared/ports/job-store.js';
import type { Logger } from '../shared/ports/logger.js';
import type { AwsClients } from './adapters/aws/clients.js';
import { DynamoDeadLetterIndex } from './adapters/aws/dynamo-dead-letter-index.js';
import { DynamoJobListing } from './adapters/aws/dynamo-job-listing.js';
import { SqsQueueAdmin } from './adapters/aws/sqs-queue-admin.js';
import { DeadLetterService } from './api/admin/dead-letters.js';
import type { QueueRouteDeps } from './api/routes/queues.js';
import { withDeadLetterIndex } from './worker/dead-letter-tracking.js';

/** The composition root's operator half (kept apart from wiring.ts, which every feature touches). */
function deadLetterIndex(config: ConveyorConfig, clients: AwsClients): DynamoDeadLetterIndex {
  // Every type's DLQ keeps messages equally long (derived.ts); the index entries live as long.
  const dlqRetentionSeconds = Math.max(...jobDefinitions.map((d) => queueSettingsOf(d).dlqRetentionSeconds));
  return new DynamoDeadLetterIndex({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME, dlqRetentionSeconds });
}

export function buildAdminDeps(config: ConveyorConfig, clients: AwsClients, core: { store: JobStore; queue: JobQueue; logger: Logger }): QueueRouteDeps {
  const queues = new SqsQueueAdmin({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
  return {
    queues,
    listing: new DynamoJobListing({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    deadLetters: new DeadLetterService({ ...core, deadLetters: deadLetterIndex(config, clients), queues }),
  };
}

/** The worker's store, indexing every job it moves to DEAD. */
export function withDeadLetterTracking(store: JobStore, config: ConveyorConfig, clients: AwsClients): JobStore {
  return withDeadLetterIndex(store, deadLetterIndex(config, clients));
}
