import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoClient } from '../../functions/adapters/aws/clients.js';
import { startDynamo } from '../../local/dynamodb.js';
import { ensureTable } from '../../local/provision.js';

export interface LocalTable {
  /** The document client the adapters take, pointed at the local server. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  close(): Promise<void>;
}

/** A local DynamoDB server (memory) with Conveyor's table created, for the store contract tests. */
export async function startLocalTable(tableName = 'jobs'): Promise<LocalTable> {
  // The SDK's default credential chain needs some credentials; the local server ignores them.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const dynamo = await startDynamo();
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
  await ensureTable(raw, tableName);
  raw.destroy();
  const client = createDynamoClient({ region: 'us-east-1', endpoints: { dynamodb: dynamo.endpoint } });
  return {
    client,
    tableName,
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}
