import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { JobService } from '../../functions/api/job-service.js';
import { createDynamoClient, createSqsClient } from '../../functions/adapters/aws/clients.js';
import { DynamoDeadLetterIndex } from '../../functions/adapters/aws/dynamo-dead-letter-index.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { DynamoRecoveryIndex } from '../../functions/adapters/aws/dynamo-recovery-index.js';
import { DynamoTenantActivity } from '../../functions/adapters/aws/dynamo-tenant-activity.js';
import { PageCursors } from '../../functions/adapters/aws/page-cursor.js';
import { SqsJobQueue } from '../../functions/adapters/aws/sqs-job-queue.js';
import { SqsWebhookQueue } from '../../functions/adapters/aws/sqs-webhook-queue.js';
import { parentSender } from '../../functions/flows/send-parent.js';
import { FollowUpFlusher } from '../../functions/follow-ups/follow-ups.js';
import { RecoverySweep, type RecoverySettings } from '../../functions/recovery/sweep.js';
import { addressPolicy } from '../../functions/webhooks/address-policy.js';
import type { BatchResponse, InvocationContext, JobHandler, SqsEventLike } from '../../functions/worker/context.js';
import { JobWorker } from '../../functions/worker/job-worker.js';
import { defineJob, type JobDefinition, type JobSettings } from '../../shared/jobs/define.js';
import { analysisJob } from '../../shared/jobs/analysis.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { silentLogger } from '../../shared/logging/logger.js';
import type { ConsumerQueue, JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { startDynamo, type LocalService } from '../dynamodb.js';
import { SqsEventSourceMapping, type SqsBatchHandler } from '../event-source-mapping.js';
import { ensureJobQueues, ensureTable, type ProvisionedQueue } from '../provision.js';
import { startSqsServer, type SqsServer } from '../sqs/server.js';

/**
 * A fault lab: the local cloud's real parts — dynalite, our SQS server (redrive, visibility, receive
 * counts), the event-source-mapping emulation, the real JobWorker, JobService, recovery sweep and AWS
 * adapters — for one job type with short timeouts, so faults and their recoveries happen in seconds.
 * Messages carry the `analysis` type (the registry's enqueue path is used as is); the worker runs the
 * lab's definition (its own timeouts and backoff) and the handler the chaos run supplies. A flow's parent
 * is sent by the flush that counts its last child (the consumer's or the sweep's), as on AWS. Completion
 * webhooks go to a queue of their own that nothing consumes: the run reads what arrived there.
 *
 * With `ordering: 'fifo'` in its settings the lab's queue and DLQ are FIFO queues (the payload less its
 * `priority` field: a FIFO type has no priority lanes), for chaos runs of FIFO groups.
 *
 * Per invocation, `invocation` may wrap the worker's store, queue and handler — that is where a kill of the
 * consumer mid-batch is injected; `throttle` refuses whole invocations, as an account's concurrency
 * quota does. `enqueueService` gives a JobService over a queue of the caller's choice — that is where
 * an API that dies between the record write and the send is injected.
 */
export interface LabOptions {
  readonly settings: Partial<JobSettings>;
  readonly timeoutMarginMs: number;
  /** Builds the handler, store and queue one invocation runs with (faults live here). */
  readonly invocation: (store: JobStore, queue: ConsumerQueue) => { handler: JobHandler<PayloadOf<'analysis'>>; store: JobStore; queue?: ConsumerQueue; onStart?: (timeoutMs: number) => void; onEnd?: () => void };
  readonly pollWaitSeconds?: number;
  /** The recovery sweep's bounds, short in the lab (production waits minutes). */
  readonly recovery: Partial<RecoverySettings>;
  /** Asked before each invocation: `true` throttles it (the batch goes back without a run). */
  readonly throttle?: () => boolean;
  /** Told of each message the recovery sweep sends (a job's lost send, or a duplicate of one that waited). */
  readonly onSweepSend?: (jobId: string) => void;
}

export interface Lab {
  readonly definition: JobDefinition;
  readonly store: DynamoJobStore;
  readonly sqs: SQSClient;
  readonly queue: ProvisionedQueue;
  readonly jobQueue: SqsJobQueue;
  readonly webhookQueueUrl: string;
  readonly deadLetters: DynamoDeadLetterIndex;
  readonly mapping: SqsEventSourceMapping;
  readonly sqsServer: SqsServer;
  readonly sweep: RecoverySweep;
  /** The API's enqueue path over `queue` (the lab's own queue when absent). */
  enqueueService(queue?: JobQueue): JobService;
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
  const webhookQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'chaos-webhooks' }))).QueueUrl!;
  const tableName = 'chaos-jobs';
  // The listing's page cursors are signed; the lab's key lives as long as the lab.
  const randomKey = randomBytes(32);
  const store = new DynamoJobStore({ client: dynamoClient, tableName });
  const jobQueue = new SqsJobQueue({ client: sqs, queueUrls: { analysis: queue.url } });
  const outbox = new SqsWebhookQueue({ client: sqs, queueUrl: webhookQueueUrl });
  const activity = new DynamoTenantActivity({ client: dynamoClient, tableName });
  const sweepQueue: JobQueue = {
    send: (message, sendOptions) => {
      options.onSweepSend?.(message.jobId);
      return jobQueue.send(message, sendOptions);
    },
    changeVisibility: (type, receiptHandle, seconds, sourceArn) => jobQueue.changeVisibility(type, receiptHandle, seconds, sourceArn),
  };
  // A flow's parent is sent by the flush that counts its last child, as the consumer and sweep roots wire it.
  const sweep = new RecoverySweep({
    store,
    index: new DynamoRecoveryIndex({ client: dynamoClient, tableName }),
    queue: sweepQueue,
    followUps: new FollowUpFlusher({ store, outbox, logger: silentLogger, sendParent: parentSender({ store, queue: sweepQueue, logger: silentLogger }) }),
    logger: silentLogger,
    hasQueue: (type) => type === 'analysis',
    settings: options.recovery,
  });
  // Callbacks go to a host that is never called: the lab only counts what reached the webhook queue.
  const enqueueService = (via: JobQueue = jobQueue) => new JobService({ store, queue: via, logger: silentLogger, activity, webhookPolicy: addressPolicy(undefined) });

  const handler: SqsBatchHandler = (event, context) => {
    const { handler: run, store: invocationStore, queue: invocationQueue = jobQueue, onStart, onEnd } = options.invocation(store, jobQueue);
    onStart?.(definition.settings.timeoutSeconds * 1000);
    const worker = new JobWorker(definition, run, {
      store: invocationStore,
      // The consumer's only sends: a flow parent, by the flush that counts its last child.
      followUps: new FollowUpFlusher({ store: invocationStore, outbox, logger: silentLogger, sendParent: parentSender({ store: invocationStore, queue: invocationQueue, logger: silentLogger }) }),
      queue: invocationQueue,
      logger: silentLogger,
      timeoutMarginMs: options.timeoutMarginMs,
      flushGraceMs: options.recovery.sendGraceMs ?? 60_000,
    });
    return (worker.processBatch(event as SqsEventLike, context as InvocationContext) as Promise<BatchResponse>).finally(() => onEnd?.());
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
    store,
    sqs,
    queue,
    jobQueue,
    webhookQueueUrl,
    deadLetters: new DynamoDeadLetterIndex({ client: dynamoClient, tableName, cursors: new PageCursors(async () => randomKey) }),
    mapping,
    sqsServer,
    sweep,
    enqueueService,
    async stop() {
      await mapping.stop({ graceMs: 0 });
      sqs.destroy();
      dynamoClient.destroy();
      await sqsServer.close();
      await dynamo.close();
    },
  };
}
