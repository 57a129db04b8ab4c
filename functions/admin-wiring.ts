import type { ConveyorConfig } from '../shared/config/env.js';
import { jobDefinitions } from '../shared/jobs/registry.js';
import { queueSettingsOf } from '../shared/jobs/derived.js';
import type { JobQueue } from '../shared/ports/job-queue.js';
import type { JobStore } from '../shared/ports/job-store.js';
import type { Logger } from '../shared/ports/logger.js';
import type { FollowUpFlusher } from './follow-ups/follow-ups.js';
import { awsClientSettings, createLambdaClient } from './adapters/aws/clients.js';
import { DynamoJobListing } from './adapters/aws/dynamo-job-listing.js';
import { DynamoQueuePauses } from './adapters/aws/dynamo-queue-pauses.js';
import { LambdaEventSources } from './adapters/aws/lambda-event-sources.js';
import { PageCursors, tableCursorKey } from './adapters/aws/page-cursor.js';
import { SqsQueueAdmin } from './adapters/aws/sqs-queue-admin.js';
import { DeadLetterService } from './api/admin/dead-letters.js';
import { createRedrives } from './redrive/wiring.js';
import { WebhookDeadLetterService } from './api/admin/webhook-dead-letters.js';
import { DynamoWebhookUnlisting } from './adapters/aws/dynamo-webhook-unlisting.js';
import { webhookSettings } from './scheduling/wiring.js';
import { WEBHOOKS_QUEUE } from '../shared/ports/webhook-log.js';
import { QueuePauses } from './api/admin/queue-pauses.js';
import type { JobData } from './job-data/job-data.js';
import type { QueueRouteDeps } from './api/routes/queues.js';
import { createDeadLetterIndex, type CoreClients } from './wiring.js';

/** The API root's operator half (kept apart from roots/api.ts, which every feature touches). */
export function buildAdminDeps(config: ConveyorConfig, clients: CoreClients, core: { store: JobStore; queue: JobQueue; logger: Logger; followUps: FollowUpFlusher; cursors?: PageCursors; jobData?: JobData | undefined }): QueueRouteDeps {
  const webhookQueueUrl = webhookSettings(config)?.queueUrl;
  // The webhook queue is operated like a job type's, under the name `webhooks` (its DLQ from its RedrivePolicy).
  const queues = new SqsQueueAdmin({ client: clients.sqs, queueUrls: { ...config.CONVEYOR_QUEUE_URLS, ...(webhookQueueUrl ? { [WEBHOOKS_QUEUE]: webhookQueueUrl } : {}) } });
  // Every type's DLQ keeps messages equally long (derived.ts); a job put back to DEAD is listed as long.
  const dlqRetentionSeconds = Math.max(...jobDefinitions.map((d) => queueSettingsOf(d).dlqRetentionSeconds));
  const { cursors = new PageCursors(tableCursorKey(clients.dynamo, config.CONVEYOR_TABLE_NAME)), ...services } = core;
  return {
    queues,
    listing: new DynamoJobListing({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME, cursors }),
    deadLetters: new DeadLetterService({ ...services, deadLetters: createDeadLetterIndex(config, clients, cursors), queues, redrives: createRedrives(config, clients), dlqRetentionSeconds }),
    ...(webhookQueueUrl
      ? { webhooks: new WebhookDeadLetterService({ store: core.store, logger: core.logger, deadLetters: createDeadLetterIndex(config, clients, cursors), queues, listing: new DynamoWebhookUnlisting({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }) }) }
      : {}),
    ...(core.jobData ? { jobData: core.jobData } : {}),
    // Pausing switches the types' event source mappings, named by UUID in the environment.
    ...(config.CONVEYOR_EVENT_SOURCE_MAPPINGS
      ? {
          pauses: new QueuePauses({
            consumers: new LambdaEventSources({ client: createLambdaClient(awsClientSettings(config)), mappings: config.CONVEYOR_EVENT_SOURCE_MAPPINGS }),
            store: new DynamoQueuePauses({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
          }),
        }
      : {}),
  };
}
