import { Duration, Lazy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { DeduplicationScope, FifoThroughputLimit, Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { eventSourceSettingsOf, queueSettingsOf, resourceNames } from '../../shared/jobs/derived.js';
import { isPrioritized, priorityConcurrency, priorityQueueName, queueKey, type Priority } from '../../shared/jobs/priority.js';
import type { StageSettings } from '../config/stages.js';
import { consumerName, writeConsumerEntry } from '../consumer-entry.js';
import { capabilityEnvironment, grantCapabilities, type Capability, type CapabilityResources } from './capabilities.js';
import { grantJobDataToConsumer } from './JobDataBucket.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import { TABLE_ACTIONS } from './permissions.js';

export interface JobWorkerProps {
  readonly settings: StageSettings;
  readonly definition: JobDefinition;
  readonly table: ITable;
  /** Variables every function gets (`commonEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly resources: CapabilityResources;
  /** The consumer's entry; by default generated from the definition (infra/consumer-entry.ts). */
  readonly entry?: string;
  /** Capabilities the stage adds beyond `uses` (the stack grants them): the generated entry builds their ports too. */
  readonly optionalUses?: readonly Capability[];
}

/** One queue of a job type and the event source that feeds it to the type's consumer. */
export interface JobLane {
  readonly priority: Priority;
  /** Its key in CONVEYOR_QUEUE_URLS: the type for normal, `<type>:high` / `<type>:low`. */
  readonly key: string;
  readonly queue: Queue;
  /** The event source's maxConcurrency: how many consumer instances this lane may keep busy. */
  readonly maxConcurrency: number;
  /** The lane's event source mapping (its UUID and ARN): what pausing the type disables. */
  readonly eventSourceMappingId: string;
  readonly eventSourceMappingArn: string;
}

/**
 * One job type's consumer, entirely derived from its registry definition: the queue and its DLQ, the
 * consumer function, and the SQS event source between them. Every number comes from
 * `shared/jobs/derived.ts`, which the local cloud reads too, so both run the same contract.
 *
 * A prioritized type (its payload has `priority`, see shared/jobs/priority.ts) has three lanes: the
 * queue (normal) and `-high` / `-low` queues with the same derived settings, all redriving to the
 * type's one DLQ (so `conveyor dlq …` and the API's redrive see every dead letter of the type, and a
 * move task returns each message to the lane it died on). One event source per lane feeds the same
 * consumer function, each with its own maxConcurrency.
 */
export class JobWorker extends Construct {
  readonly definition: JobDefinition;
  /** The normal lane's queue: the type's queue for a type without priorities. */
  readonly queue: Queue;
  readonly dlq: Queue;
  /** Every queue of the type, normal first. */
  readonly lanes: readonly JobLane[];
  readonly consumer: ConveyorFunction;
  /** CONVEYOR_QUEUE_URLS of the consumer: its own lanes, plus those of the types it may enqueue. */
  readonly #queueUrls: Record<string, Queue> = {};
  readonly #table: ITable;

  constructor(scope: Construct, id: string, props: JobWorkerProps) {
    super(scope, id);
    const { settings, definition } = props;
    this.definition = definition;
    this.#table = props.table;

    // Derive (shared/jobs/derived.ts says why for each value).
    const names = resourceNames(settings.stage, definition.type, definition.settings.ordering);
    const queueSettings = queueSettingsOf(definition);
    const source = eventSourceSettingsOf(definition);
    // A FIFO type (shared/jobs/ordering.ts): FIFO queue and DLQ, deduplication by the id the adapter sends.
    const { fifo } = queueSettings;
    const fifoProps: Partial<QueueProps> = fifo
      ? {
          fifo: true,
          contentBasedDeduplication: fifo.contentBasedDeduplication,
          deduplicationScope: DeduplicationScope.MESSAGE_GROUP,
          fifoThroughputLimit: FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
        }
      : {};

    // Create.
    this.dlq = new Queue(this, 'Dlq', {
      queueName: names.dlq,
      retentionPeriod: Duration.seconds(queueSettings.dlqRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A FIFO queue's dead-letter queue must be FIFO as well.
      ...(fifo ? { fifo: true, contentBasedDeduplication: false } : {}),
    });
    Validations.of(this.dlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the job queue; it has no DLQ of its own by design.' });
    const sourceQueue = (id: string, queueName: string) =>
      new Queue(this, id, {
        queueName,
        visibilityTimeout: Duration.seconds(queueSettings.visibilityTimeoutSeconds),
        retentionPeriod: Duration.seconds(queueSettings.retentionSeconds),
        encryption: QueueEncryption.SQS_MANAGED,
        enforceSSL: true,
        deadLetterQueue: { queue: this.dlq, maxReceiveCount: queueSettings.maxReceiveCount },
        ...fifoProps,
      });
    // The normal lane keeps the id 'Queue' (and the type's plain queue name) with or without priorities.
    this.queue = sourceQueue('Queue', names.queue);
    // Priorities on AWS: SQS has no priority within a queue and one event source cannot poll "high
    // first", so each priority gets its own queue and its own event source, and the lever is each
    // source's maxConcurrency (priorityConcurrency: 40 % high, 40 % normal, 20 % low of the type's
    // maxConcurrency, each at least 2). A flood of low jobs can occupy only the low lane's share; the
    // high lane's pollers stay free, so a high job arriving behind 10,000 low ones starts at once.
    // No reserved concurrency: the lanes' maxConcurrency already caps the function, and a reserved
    // value below their sum would throttle batches back to the queue and burn receive counts
    // (DESIGN.md) — receives spend no attempts (those are counted on the job record), but each throttled
    // batch waits out a visibility timeout; it would also take capacity from the account's unreserved pool for good.
    const concurrency: Record<Priority, number> = isPrioritized(definition)
      ? priorityConcurrency(definition)
      : { high: source.maxConcurrency, normal: source.maxConcurrency, low: source.maxConcurrency };
    const priorities: readonly Priority[] = isPrioritized(definition) ? ['normal', 'high', 'low'] : ['normal'];
    const queues = priorities.map((priority) => ({
      priority,
      key: queueKey(definition.type, priority),
      queue: priority === 'normal' ? this.queue : sourceQueue(`Queue-${priority}`, priorityQueueName(settings.stage, definition.type, priority)),
      maxConcurrency: concurrency[priority],
    }));
    for (const lane of queues) this.#queueUrls[lane.key] = lane.queue;
    const uses = definition.settings.uses;
    this.consumer = new ConveyorFunction(this, 'Consumer', {
      settings,
      name: consumerName(definition.type),
      entry: props.entry ?? writeConsumerEntry(definition, props.optionalUses ? { optionalUses: props.optionalUses } : {}),
      description: `Conveyor ${settings.stage}: runs "${definition.type}" jobs — ${definition.description}`,
      timeoutSeconds: definition.settings.timeoutSeconds,
      memoryMb: definition.settings.memoryMb,
      environment: {
        ...props.environment,
        CONVEYOR_JOB_TYPE: definition.type,
        // Job outcome metrics as EMF log lines (ConveyorMonitoring alarms on them).
        CONVEYOR_METRICS: 'emf',
        // Only its own lanes: the consumer sets the visibility of its own messages (backoff) on the lane
        // each came from, and a throttled job is re-sent to its own lane.
        // Rendered at synthesis, after allowEnqueue may have added another type's lanes.
        CONVEYOR_QUEUE_URLS: Lazy.string({ produce: () => Stack.of(this).toJsonString(Object.fromEntries(Object.entries(this.#queueUrls).map(([key, queue]) => [key, queue.queueUrl]))) }),
        ...capabilityEnvironment(uses, props.resources),
        // Any job's payload may be stored apart and any result may be large: every consumer reads and writes job data.
        CONVEYOR_JOB_DATA_BUCKET: props.resources.jobData.bucketName,
      },
    });

    // Wire: one event source per lane; each grants receive/delete/change-visibility on its queue only.
    this.lanes = queues.map((lane) => {
      const eventSource = new SqsEventSource(lane.queue, {
        batchSize: source.batchSize,
        ...(source.batchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(source.batchingWindowSeconds) } : {}),
        reportBatchItemFailures: source.reportBatchItemFailures,
        maxConcurrency: lane.maxConcurrency,
      });
      this.consumer.fn.addEventSource(eventSource);
      return { ...lane, eventSourceMappingId: eventSource.eventSourceMappingId, eventSourceMappingArn: eventSource.eventSourceMappingArn };
    });
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.worker], resources: [props.table.tableArn] }));
    // Notifications are items of the job table: the only new items a consumer writes besides enqueued jobs.
    if (uses.includes('inbox')) this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.inbox], resources: [props.table.tableArn] }));
    // The consumer hands a DEAD job's message to the DLQ itself (its redrive policy is only a safety net).
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.dlq.queueArn] }));
    grantCapabilities(uses, props.resources, this.consumer);
    grantJobDataToConsumer(props.resources.jobData, this.consumer);
  }

  /** The type's queues by CONVEYOR_QUEUE_URLS key (`email`, `analysis`, `analysis:high`…). */
  get queuesByKey(): Record<string, Queue> {
    return Object.fromEntries(this.lanes.map((lane) => [lane.key, lane.queue]));
  }

  /**
   * Lets the consumer enqueue jobs of `target`'s type (a type listed in its `settings.enqueues`): the
   * target's queue URLs join CONVEYOR_QUEUE_URLS, with SendMessage on those queues only.
   */
  allowEnqueue(target: JobWorker): void {
    for (const lane of target.lanes) this.#queueUrls[lane.key] = lane.queue;
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: target.lanes.map((lane) => lane.queue.queueArn) }));
    // The enqueue path (JobService) deletes the record it wrote when the message cannot be sent.
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.enqueuer], resources: [this.#table.tableArn] }));
  }

  /** Lets the consumer re-send to its own lanes (a job over its provider's rate limit is requeued with a delay). */
  grantRequeue(): void {
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: this.lanes.map((lane) => lane.queue.queueArn) }));
  }
}
