/** Local DynamoDB (dynalite) in its own thread: see thread.ts. */
import { startDynamo } from '../dynamodb.js';
import { serveThread } from './serve-thread.js';

export interface DynamoThreadData {
  readonly path?: string;
  readonly port?: number;
}

await serveThread<DynamoThreadData, { endpoint: string }>(async ({ data }) => {
  const dynamo = await startDynamo(data);
  return { ready: { endpoint: dynamo.endpoint }, close: () => dynamo.close() };
});
