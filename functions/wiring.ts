import type { ConveyorConfig } from '../shared/config/env.js';
import type { JobStore } from '../shared/ports/job-store.js';
import type { Logger } from '../shared/ports/logger.js';
import { FollowUpFlusher, type FollowUpFlusherDeps } from './follow-ups/follow-ups.js';
import { awsClientSettings, createDynamoClient, createS3Client, createSesClient, createSqsClient, type AwsClients } from './adapters/aws/clients.js';
import { DynamoDeadLetterIndex } from './adapters/aws/dynamo-dead-letter-index.js';
import { DynamoJobStore } from './adapters/aws/dynamo-job-store.js';
import { DynamoTenantActivity } from './adapters/aws/dynamo-tenant-activity.js';
import type { PageCursors } from './adapters/aws/page-cursor.js';
import { S3BlobStore } from './adapters/aws/s3-blob-store.js';
import { SqsJobQueue } from './adapters/aws/sqs-job-queue.js';
import { JobData } from './job-data/job-data.js';
import { SqsWebhookQueue } from './adapters/aws/sqs-webhook-queue.js';
import { webhookSettings } from './scheduling/wiring.js';

/*
 * The construction every composition root shares: config in, SDK clients, logger and the core ports
 * out. The roots themselves are one module per function in functions/roots/ (api, consumer,
 * scheduler-target, webhook-worker), and each Lambda entry imports only its own root: esbuild keeps
 * every module an entry imports, with its module-level code (the job registry's zod schemas, the API
 * routes…), so one root shared by all functions put everything into every bundle.
 * The client factories are split the same way: each root takes only the clients it uses and each
 * entry creates only those, so a consumer carries neither S3 nor SES unless its job needs them.
 * `npm run bench -- --sections bundle` shows the sizes; test/unit/wiring/bundles.test.ts keeps them apart.
 */

/** The table and the queues: every function but the authorizer uses both. */
export type CoreClients = Pick<AwsClients, 'dynamo' | 'sqs'>;

export function createCoreClients(config: ConveyorConfig): CoreClients {
  const settings = awsClientSettings(config);
  return { dynamo: createDynamoClient(settings), sqs: createSqsClient(settings) };
}

/** Core plus S3: the PDF consumer stores documents there, the API signs their download links. */
export function createBlobClients(config: ConveyorConfig): CoreClients & Pick<AwsClients, 's3'> {
  return { ...createCoreClients(config), s3: createS3Client(awsClientSettings(config)) };
}

/** Core plus SES: the email consumer. */
export function createEmailClients(config: ConveyorConfig): CoreClients & Pick<AwsClients, 'ses'> {
  return { ...createCoreClients(config), ses: createSesClient(awsClientSettings(config)) };
}

/** Every client, for a process that runs all functions at once (the local cloud, tests). */
export function createClients(config: ConveyorConfig): AwsClients {
  return { ...createBlobClients(config), ses: createSesClient(awsClientSettings(config)) };
}

/**
 * Payloads and results too large for their record, in the job-data bucket: for the API and every
 * consumer when the bucket is configured (an S3 client is made if the caller has none).
 */
export function createJobData(config: ConveyorConfig, clients: Partial<Pick<AwsClients, 's3'>>, logger: Logger): JobData | undefined {
  const bucket = config.CONVEYOR_JOB_DATA_BUCKET;
  if (!bucket) return undefined;
  const client = clients.s3 ?? createS3Client(awsClientSettings(config));
  return new JobData({ blobs: new S3BlobStore({ client, bucket }), logger, urlTtlSeconds: config.CONVEYOR_DOWNLOAD_URL_TTL_SECONDS });
}

export function createJobStore(config: ConveyorConfig, clients: Pick<AwsClients, 'dynamo'>): DynamoJobStore {
  return new DynamoJobStore({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
}

export function createJobQueue(config: ConveyorConfig, clients: Pick<AwsClients, 'sqs'>): SqsJobQueue {
  return new SqsJobQueue({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS });
}

/** Active tenants, noted before their records are written: the recovery sweep reads their partitions. */
export function createTenantActivity(config: ConveyorConfig, clients: Pick<AwsClients, 'dynamo'>): DynamoTenantActivity {
  return new DynamoTenantActivity({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME });
}

/** The DLQ listing: DEAD jobs through the table's sparse `deadLetters` index (pages after the first need `cursors`). */
export function createDeadLetterIndex(config: ConveyorConfig, clients: Pick<AwsClients, 'dynamo'>, cursors?: PageCursors): DynamoDeadLetterIndex {
  return new DynamoDeadLetterIndex({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME, ...(cursors ? { cursors } : {}) });
}

/**
 * What writers of terminal states flush after their write: completion webhooks to the webhook queue
 * when webhooks are configured (without it, a webhook owed stays for the recovery sweep), and, given
 * `sendParent` (functions/flows/send-parent.ts), a flow's parent whose last child ended (without it, the sweep sends it).
 */
export function createFollowUpFlusher(store: JobStore, config: ConveyorConfig, clients: Pick<AwsClients, 'sqs'>, logger: Logger, sendParent?: FollowUpFlusherDeps['sendParent']): FollowUpFlusher {
  const settings = webhookSettings(config);
  return new FollowUpFlusher({ store, logger, sendParent, ...(settings ? { outbox: new SqsWebhookQueue({ client: clients.sqs, queueUrl: settings.queueUrl }) } : {}) });
}
