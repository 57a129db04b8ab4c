import type { ConveyorConfig } from '../shared/config/env.js';
import { jobDefinitions } from '../shared/jobs/registry.js';
import { queueSettingsOf } from '../shared/jobs/derived.js';
import type { JobQueue } from '../shared/ports/job-queue.js';
import type { JobStore } from '../shared/ports/job-store.js';
import type { Logger } from '../shared/ports/logger.js';
import { DynamoJobListing } from './adapters/aws/dynamo-job-listing.js';
import { PageCursors, tableCursorKey } from './adapters/aws/page-cursor.js';
import { SqsQueueAdmin } from './adapters/aws/sqs-queue-admin.js';
import { DeadLetterService } from './api/admin/dead-letters.js';
import type { JobData } from './job-data/job-data.js';
import type { QueueRouteDeps } from './api/routes/queues.js';
import { createDeadLetterIndex, type CoreClients } from './wiring.js';

/** The API root's operator half (kept apart from roots/api.ts, which every feature touches). */
export function buildAdminDeps(config: ConveyorConfig, clients: CoreClients, core: { store: JobStore; queue: JobQueue; logger: Logger; cursors?: PageCursors; jobData?: JobData | undefined }): QueueRouteDeps {
  const queues = new SqsQueueAdmin({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
  // Every type's DLQ keeps messages equally long (derived.ts); the index entries live as long.
  const dlqRetentionSeconds = Math.max(...jobDefinitions.map((d) => queueSettingsOf(d).dlqRetentionSeconds));
  const { cursors = new PageCursors(tableCursorKey(clients.dynamo, config.CONVEYOR_TABLE_NAME)), ...services } = core;
  return {
    queues,
    listing: new DynamoJobListing({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME, cursors }),
    deadLetters: new DeadLetterService({ ...services, deadLetters: createDeadLetterIndex(config, clients, dlqRetentionSeconds, cursors), queues }),
    ...(core.jobData ? { jobData: core.jobData } : {}),
  };
}
