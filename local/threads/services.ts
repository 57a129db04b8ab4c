import type { LocalService } from '../dynamodb.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import type { ApiThreadData } from './api-thread.js';
import { startThread, type LocalThreadInfo } from './thread.js';
import type { DynamoThreadData } from './dynamodb-thread.js';
import type { SqsThreadData } from './sqs-thread.js';

/** Local DynamoDB in a worker thread: the same server and options as `startDynamo`. */
export async function startDynamoThread(options: DynamoThreadData): Promise<ThreadedService> {
  const thread = await startThread<{ endpoint: string }>(new URL('./dynamodb-thread.ts', import.meta.url), options, { name: 'dynamodb' });
  return { endpoint: thread.ready.endpoint, thread: thread.info, close: () => thread.stop() };
}

/** The local SQS server in a worker thread: the same server and options as `startSqsServer`. */
export async function startSqsThread(options: SqsThreadData): Promise<ThreadedService> {
  const thread = await startThread<{ endpoint: string }>(new URL('./sqs-thread.ts', import.meta.url), options, { name: 'sqs' });
  return { endpoint: thread.ready.endpoint, thread: thread.info, close: () => thread.stop() };
}

/** A local server running in its own thread. */
export interface ThreadedService extends LocalService {
  readonly thread: LocalThreadInfo;
}

/** The local API Gateway with the API function behind it, in a worker thread. */
export async function startApiThread(data: ApiThreadData, options: { scheduler: ReleaseScheduler; writeLog?: (line: string) => void }): Promise<LocalHttpApiHandle> {
  const thread = await startThread<{ url: string }>(new URL('./api-thread.ts', import.meta.url), data, {
    name: 'api',
    services: { scheduleRelease: (jobId: string, runAt: Date) => options.scheduler.scheduleRelease(jobId, runAt) },
    ...(options.writeLog ? { onLog: options.writeLog } : {}),
  });
  return { url: thread.ready.url, thread: thread.info, close: () => thread.stop() };
}

/** What the local cloud needs of its API server, wherever it runs. */
export interface LocalHttpApiHandle {
  readonly url: string;
  readonly thread?: LocalThreadInfo;
  close(): Promise<void>;
}
