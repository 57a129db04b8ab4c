import { CreateTableCommand, DescribeTableCommand, ResourceNotFoundException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { REDRIVE_CONSUMER } from '../shared/config/redrive.js';
import { TABLE_LAYOUT } from '../shared/config/table.js';
import type { JobDefinition } from '../shared/jobs/define.js';
import { queueSettingsOf, resourceNames } from '../shared/jobs/derived.js';

export interface ProvisionedQueue {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

/**
 * Creates the job table if absent — the same key schema and sparse indexes as the CDK table. A table
 * left by an older layout (a local data dir from before the sort key or the indexes) is refused with
 * what to do, not misused: dynalite cannot add an index to an existing table.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const { deadLetters, sweep } = TABLE_LAYOUT.indexes;
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const sortKey = Table?.KeySchema?.find((k) => k.KeyType === 'RANGE')?.AttributeName;
    const indexes = (Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName);
    if (sortKey !== TABLE_LAYOUT.sortKey || !indexes.includes(deadLetters.name) || !indexes.includes(sweep.name)) {
      throw new Error(`table ${tableName} has an older layout (sort key ${sortKey ?? 'none'}, indexes ${indexes.join(', ') || 'none'}); delete the local data dir (.data/dynamodb) and start again`);
    }
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: TABLE_LAYOUT.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_LAYOUT.sortKey, AttributeType: 'S' },
        { AttributeName: deadLetters.partitionKey, AttributeType: 'S' },
        { AttributeName: sweep.partitionKey, AttributeType: 'S' },
        { AttributeName: sweep.sortKey, AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: deadLetters.name,
          KeySchema: [{ AttributeName: deadLetters.partitionKey, KeyType: 'HASH' }, { AttributeName: deadLetters.sortKey, KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...deadLetters.projection.include] },
        },
        {
          IndexName: sweep.name,
          KeySchema: [{ AttributeName: sweep.partitionKey, KeyType: 'HASH' }, { AttributeName: sweep.sortKey, KeyType: 'RANGE' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
}

/** Creates a job type's queue and DLQ (idempotent), with the settings the CDK derives. */
export async function ensureJobQueues(client: SQSClient, stage: string, definition: JobDefinition): Promise<ProvisionedQueue> {
  const names = resourceNames(stage, definition.type, definition.settings.ordering);
  const settings = queueSettingsOf(definition);
  const dlqUrl = (await client.send(
    new CreateQueueCommand({
      QueueName: names.dlq,
      // A FIFO queue's DLQ must be FIFO too; deduplication ids are explicit (the worker's hand-off sends one).
      Attributes: { MessageRetentionPeriod: String(settings.dlqRetentionSeconds), ...(settings.fifo ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' } : {}) },
    }),
  )).QueueUrl as string;
  const dlqArn = await arnOf(client, dlqUrl);
  const { url, arn } = await ensureSourceQueue(client, names.queue, definition, dlqArn);
  return { url, arn, dlqUrl, dlqArn };
}

/** A source queue of a job type (also each priority's queue), redriving to the type's DLQ. */
export async function ensureSourceQueue(client: SQSClient, name: string, definition: JobDefinition, dlqArn: string): Promise<{ url: string; arn: string }> {
  const settings = queueSettingsOf(definition);
  const url = (await client.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: {
        VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
        MessageRetentionPeriod: String(settings.retentionSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
        ...fifoAttributes(settings),
      },
    }),
  )).QueueUrl as string;
  return { url, arn: await arnOf(client, url) };
}

/** The redrive consumer's queue and its DLQ (idempotent), as the CDK makes them (shared/config/redrive.ts). */
export async function ensureRedriveQueue(client: SQSClient, stage: string, visibilityTimeoutSeconds: number = REDRIVE_CONSUMER.visibilityTimeoutSeconds): Promise<ProvisionedQueue> {
  const dlqUrl = (await client.send(new CreateQueueCommand({ QueueName: `conveyor-${stage}-redrive-dlq`, Attributes: { MessageRetentionPeriod: String(14 * 86_400) } }))).QueueUrl as string;
  const dlqArn = await arnOf(client, dlqUrl);
  const url = (await client.send(
    new CreateQueueCommand({
      QueueName: `conveyor-${stage}-redrive`,
      Attributes: {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: REDRIVE_CONSUMER.maxReceiveCount }),
      },
    }),
  )).QueueUrl as string;
  return { url, arn: await arnOf(client, url), dlqUrl, dlqArn };
}

/** A failure destination (a standard queue, kept 14 days): where given-up events wait for an operator. */
export async function ensureFailureQueue(client: SQSClient, name: string): Promise<{ url: string; arn: string }> {
  const url = (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: { MessageRetentionPeriod: String(14 * 86_400) } }))).QueueUrl as string;
  return { url, arn: await arnOf(client, url) };
}

/** The FIFO attributes of a source queue, as the CDK sets them (shared/jobs/derived.ts says why). */
function fifoAttributes({ fifo }: ReturnType<typeof queueSettingsOf>): Record<string, string> {
  if (!fifo) return {};
  return {
    FifoQueue: 'true',
    ContentBasedDeduplication: String(fifo.contentBasedDeduplication),
    DeduplicationScope: fifo.deduplicationScope,
    FifoThroughputLimit: fifo.fifoThroughputLimit,
  };
}

async function arnOf(client: SQSClient, queueUrl: string): Promise<string> {
  const output = await client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const arn = output.Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no QueueArn attribute`);
  return arn;
}
