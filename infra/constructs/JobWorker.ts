import { Duration, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { eventSourceSettingsOf, queueSettingsOf, resourceNames } from '../../shared/jobs/derived.js';
import type { StageSettings } from '../config/stages.js';
import { capabilityEnvironment, grantCapabilities, type CapabilityResources } from './capabilities.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import { TABLE_ACTIONS } from './permissions.js';

export interface JobWorkerProps {
  readonly settings: StageSettings;
  readonly definition: JobDefinition;
  readonly table: ITable;
  /** Variables every function gets (`commonEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  readonly resources: CapabilityResources;
  /** Entry file under `functions/entry/`; by convention `worker-<type>`. */
  readonly entry?: string;
}

/**
 * One job type's consumer, entirely derived from its registry definition: the queue and its DLQ, the
 * consumer function, and the SQS event source between them. Every number comes from
 * `shared/jobs/derived.ts`, which the local cloud reads too, so both run the same contract.
 */
export class JobWorker extends Construct {
  readonly definition: JobDefinition;
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly consumer: ConveyorFunction;

  constructor(scope: Construct, id: string, props: JobWorkerProps) {
    super(scope, id);
    const { settings, definition } = props;
    this.definition = definition;

    // Derive (shared/jobs/derived.ts says why for each value).
    const names = resourceNames(settings.stage, definition.type);
    const queueSettings = queueSettingsOf(definition);
    const source = eventSourceSettingsOf(definition);

    // Create.
    this.dlq = new Queue(this, 'Dlq', {
      queueName: names.dlq,
      retentionPeriod: Duration.seconds(queueSettings.dlqRetentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.dlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the job queue; it has no DLQ of its own by design.' });
    this.queue = new Queue(this, 'Queue', {
      queueName: names.queue,
      visibilityTimeout: Duration.seconds(queueSettings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.seconds(queueSettings.retentionSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: queueSettings.maxReceiveCount },
    });
    const uses = definition.settings.uses;
    this.consumer = new ConveyorFunction(this, 'Consumer', {
      settings,
      name: `worker-${definition.type}`,
      entry: props.entry ?? `worker-${definition.type}`,
      description: `Conveyor ${settings.stage}: runs "${definition.type}" jobs — ${definition.description}`,
      timeoutSeconds: definition.settings.timeoutSeconds,
      memoryMb: definition.settings.memoryMb,
      environment: {
        ...props.environment,
        CONVEYOR_JOB_TYPE: definition.type,
        // Only its own queue: the consumer changes the visibility of its own messages (backoff), nothing else.
        CONVEYOR_QUEUE_URLS: this.queue.stack.toJsonString({ [definition.type]: this.queue.queueUrl }),
        ...capabilityEnvironment(uses, props.resources),
      },
    });

    // Wire: the event source grants receive/delete/change-visibility on this queue only.
    this.consumer.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: source.batchSize,
        ...(source.batchingWindowSeconds > 0 ? { maxBatchingWindow: Duration.seconds(source.batchingWindowSeconds) } : {}),
        reportBatchItemFailures: source.reportBatchItemFailures,
        maxConcurrency: source.maxConcurrency,
      }),
    );
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.worker], resources: [props.table.tableArn] }));
    grantCapabilities(uses, props.resources, this.consumer);
  }
}
