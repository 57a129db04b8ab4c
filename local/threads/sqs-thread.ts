/** The local SQS server in its own thread: see thread.ts. */
import { startSqsServer } from '../sqs/server.js';
import { serveThread } from './serve-thread.js';

export interface SqsThreadData {
  readonly dataDir?: string;
  readonly port?: number;
}

await serveThread<SqsThreadData, { endpoint: string; restoredMessages: number }>(async ({ data }) => {
  const sqs = await startSqsServer(data);
  return { ready: { endpoint: sqs.endpoint, restoredMessages: sqs.restoredMessages }, close: () => sqs.close() };
});
