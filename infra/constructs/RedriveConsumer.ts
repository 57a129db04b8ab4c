import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { REDRIVE_CONSUMER } from '../../shared/config/redrive.js';
import type { StageSettings } from '../config/stages.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import { indexArn, REDRIVE_DLQ_ACTIONS, REDRIVE_QUEUE_ACTIONS, REDRIVE_TABLE_ACTIONS } from './permissions.js';

export interface RedriveConsumerProps {
  readonly settings: StageSettings;
  readonly table: ITable;
  /** Each job type's queues (a lane per priority) and its DLQ: the records it puts back, the messages it moves. */
  readonly queues: Readonly<Record<string, { readonly lanes: readonly { readonly queue: IQueue }[]; readonly dlq: IQueue }>>;
  /** Environment it shares with the other functions (table name, job queue URLs). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * Redrive tasks on AWS (functions/redrive/redrive-runner.ts): the redrive queue (and its DLQ) and
 * the consumer Lambda on it, one nudge per invocation, with exactly the grants its code uses —
 * - the job table's items (GetItem, UpdateItem) and a Query of the sparse `deadLetters` index;
 * - on each DLQ the message move (StartMessageMoveTask, ListMessageMoveTasks, and what SQS asks of
 *   its caller on the source), on each job queue its attributes and SendMessage (the destination);
 * - SendMessage on the redrive queue (the next nudge); the webhook queue by `WebhookDelivery.connect`.
 * `connect` gives the API the queue (its first nudge); `monitor` alarms on errors and the redrive DLQ.
 */
export class RedriveConsumer extends Construct {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly fn: ConveyorFunction;
  readonly #props: RedriveConsumerProps;

  constructor(scope: Construct, id: string, props: RedriveConsumerProps) {
    super(scope, id);
    this.#props = props;
    const { settings, table } = props;
    this.dlq = new Queue(this, 'Dlq', {
      queueName: `conveyor-${settings.stage}-redrive-dlq`,
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.dlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the redrive queue; it has no DLQ of its own by design.' });
    this.queue = new Queue(this, 'Queue', {
      queueName: `conveyor-${settings.stage}-redrive`,
      visibilityTimeout: Duration.seconds(REDRIVE_CONSUMER.visibilityTimeoutSeconds),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // A nudge whose runs keep failing stops here: its task stalls, and a new request resumes it.
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: REDRIVE_CONSUMER.maxReceiveCount },
    });
    this.fn = new ConveyorFunction(this, 'Function', {
      settings,
      name: 'redrive',
      entry: 'redrive',
      description: `Conveyor ${settings.stage}: carries out redrive tasks (dead jobs back to QUEUED in pages, then the DLQ message move)`,
      timeoutSeconds: REDRIVE_CONSUMER.timeoutSeconds,
      memoryMb: 256,
      environment: { ...props.environment, CONVEYOR_REDRIVE_QUEUE_URL: this.queue.queueUrl },
    });
    const queues = Object.values(props.queues);
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...REDRIVE_TABLE_ACTIONS], resources: [table.tableArn] }));
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [indexArn(table.tableArn, 'deadLetters')] }));
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...REDRIVE_DLQ_ACTIONS], resources: queues.map(({ dlq }) => dlq.queueArn) }));
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...REDRIVE_QUEUE_ACTIONS], resources: queues.flatMap(({ lanes }) => lanes.map(({ queue }) => queue.queueArn)) }));
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    // One nudge per invocation: a run works on one task until its time is nearly spent.
    this.fn.fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: REDRIVE_CONSUMER.maxConcurrency }));
  }

  /** The API records tasks and sends each one's first nudge: the variable, and SendMessage on this queue only. */
  connect(fn: ConveyorFunction): void {
    fn.fn.addEnvironment('CONVEYOR_REDRIVE_QUEUE_URL', this.queue.queueUrl);
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
  }

  /** Alarms, named as ConveyorMonitoring names its own, notifying `action` (the stage's alarm topic). */
  monitor(action: IAlarmAction): Alarm[] {
    const prefix = `Conveyor-${this.#props.settings.stage}`;
    const alarms = [
      new Alarm(this, 'ErrorsAlarm', {
        alarmName: `${prefix}-redrive-Errors-Critical`,
        alarmDescription: 'A redrive run failed: its task waits at its last checkpoint until the nudge comes back (see the consumer log).',
        metric: this.fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'DlqAlarm', {
        alarmName: `${prefix}-redrive-dlq-Count-Max-Critical`,
        alarmDescription: 'A redrive nudge failed every delivery: its task has stalled (GET /v1/queues/{type}/redrive shows where); POST the redrive again to resume it.',
        metric: this.dlq.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarms;
  }
}
