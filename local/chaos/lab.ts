import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { JobService } from '../../functions/api/job-service.js';
import { createDynamoClient, createSqsClient } from '../../functions/adapters/aws/clients.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { SqsJobQueue } from '../../functions/adapters/aws/sqs-job-queue.js';
import type { BatchResponse, InvocationContext, JobHandler, SqsEventLike } from '../../functions/worker/context.js';
import { JobWorker } from '../../functions/worker/job-worker.js';
import { defineJob, type JobDefinition, type JobSettings } from '../../shared/jobs/define.js';
import { analysisJob } from '../../shared/jobs/analysis.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { silentLogger } from '../../shared/logging/logger.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { startDynamo, type LocalService } from '../dynamodb.js';
import { SqsEventSourceMapping, type SqsBatchHandler } from '../event-source-mapping.js';
import { ensureJobQueues, ensureTable, type ProvisionedQueue } from '../provision.js';
import { startSqsServer, type SqsServer } from '../sqs/server.js';

/**
 * A fault lab: the local cloud's real parts — dynalite, our SQS server (redrive, visibility, receive
 * counts), the event-source-mapping emulation, the real JobWorker, JobService and AWS adapters — for
 * one job type with short timeouts, so faults and their recoveries happen in seconds. Messages carry
 * the `analysis` type (the registry's enqueue path is used as is); the worker runs the lab's
 * definition (its own timeouts and backoff) and the handler the chaos run supplies.
 *
 * With `ordering: 'fifo'` in its settings the lab's queue and DLQ are FIFO queues (the payload less its
 * `priority` field: a FIFO type has no priority lanes), for chaos runs of FIFO groups.
 *
 * Per invocation, `consumer` may wrap the worker's store and handler — that is where a kill of the
 * consumer mid-batch is injected; `throttle` refuses whole invocations, as an account's concurrency
 * quota does.
 */
export interface LabOptions {
  readonly settings: Partial<JobSettings>;
  readonly timeoutMarginMs: number;
  /** Builds the handler and store one invocation runs with (faults live here). */
  readonly invocation: (store: JobStore) => { handler: JobHandler<PayloadOf<'analysis'>>; store: JobStore; onStart?: () => void };
  readonly pollWaitSeconds?: number;
  /** Asked before each invocation: `true` throttles it (the batch goes back without a run). */
  readonly throttle?: () => boolean;
}

export interface Lab {
  readonly definition: JobDefinition;
  readonly jobs: JobService;
  readonly store: DynamoJobStore;
  readonly sqs: SQSClient;
  readonly queue: ProvisionedQueue;
  readonly mapping: SqsEventSourceMapping;
  readonly sqsServer: SqsServer;
  stop(): Promise<void>;
}

export async function startLab(options: LabOptions): Promise<Lab> {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  const dynamo: LocalService = await startDynamo();
  const sqsServer = await startSqsServer();
  const endpoints = { dynamodb: dynamo.endpoint, sqs: sqsServer.endpoint };
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
  await ensureTable(raw, 'chaos-jobs');
  raw.destroy();
  const dynamoClient = createDynamoClient({ region: 'us-east-1', endpoints });
  const sqs = createSqsClient({ region: 'us-east-1', endpoints });
  const payload = options.settings.ordering === 'fifo' ? analysisJob.payload.omit({ priority: true }) : analysisJob.payload;
  const definition = defineJob({ type: 'analysis', description: 'chaos lab', payload, settings: options.settings });
  const queue = await ensureJobQueues(sqs, 'chaos', definition);
  const store = new DynamoJobStore({ client: dynamoClient, tableName: 'chaos-jobs' });
  const jobQueue = new SqsJobQueue({ client: sqs, queueUrls: { analysis: queue.url } });
  const jobs = new JobService({ store, queue: jobQueue, logger: silentLogger });

  const handler: SqsBatchHandler = (event, context) => {
    const { handler: run, store: invocationStore, onStart } = options.invocation(store);
    onStart?.();
    const worker = new JobWorker(definition, run, { store: invocationStore, queue: jobQueue, logger: silentLogger, timeoutMarginMs: options.timeoutMarginMs });
    return worker.processBatch(event as SqsEventLike, context as InvocationContext) as Promise<BatchResponse>;
  };
  const mapping = new SqsEventSourceMapping({
    client: sqs,
    queueUrl: queue.url,
    queueArn: queue.arn,
    functionName: 'chaos-worker',
    handler,
    batchSize: definition.settings.batchSize,
    batchingWindowSeconds: definition.settings.batchingWindowSeconds,
    maxConcurrency: definition.settings.maxConcurrency,
    functionTimeoutSeconds: definition.settings.timeoutSeconds,
    logger: silentLogger,
    waitTimeSeconds: options.pollWaitSeconds ?? 1,
    ...(options.throttle ? { throttle: options.throttle } : {}),
  });
  mapping.start();

  return {
    definition,
    jobs,
    store,
    sqs,
    queue,
    mapping,
    sqsServer,
    async stop() {
      await mapping.stop({ graceMs: 0 });
      sqs.destroy();
      dynamoClient.destroy();
      await sqsServer.close();
      await dynamo.close();
    },
  };
}
