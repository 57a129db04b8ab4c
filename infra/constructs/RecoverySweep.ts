import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData, type IAlarmAction } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { StageSettings } from '../config/stages.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import type { JobScheduling } from './JobScheduling.js';
import { indexArn, TABLE_ACTIONS } from './permissions.js';

export interface RecoverySweepProps {
  readonly settings: StageSettings;
  readonly table: ITable;
  /** Every job queue by CONVEYOR_QUEUE_URLS key: where a job whose message never came is sent. */
  readonly queues: Readonly<Record<string, IQueue>>;
  /** Environment the sweep shares with the other functions (table name, queue URLs, webhook queue, …). */
  readonly environment: Readonly<Record<string, string>>;
  readonly scheduling: JobScheduling;
}

/** How often the sweep runs: a stranded job waits at most its grace (functions/recovery/sweep.ts) plus this. */
const EVERY = Duration.minutes(1);

/**
 * The recovery sweep on AWS (functions/recovery/sweep.ts): a Lambda an EventBridge rule runs every
 * minute, with exactly the grants its code uses —
 * - the job table's items (read, claim/confirm/clear markers, discard, its watermark) and two kinds of
 *   Query: the job partitions of active tenants (the table itself) and the sparse `sweep` index;
 * - SendMessage on the job queues (a job whose message never came) — the webhook queue is granted by
 *   `WebhookDelivery.connect`, as for every writer of terminal states;
 * - CreateSchedule in the job schedule group (a held job whose enqueue died before scheduling it),
 *   through `JobScheduling.grantCreateSchedules`.
 * `monitor` adds the alarms: the sweep's own errors, and the first event in either failure queue of
 * the scheduler (a release given up on: the sweep releases the job, an operator should know why).
 */
export class RecoverySweep extends Construct {
  readonly fn: ConveyorFunction;
  readonly rule: Rule;
  readonly #props: RecoverySweepProps;

  constructor(scope: Construct, id: string, props: RecoverySweepProps) {
    super(scope, id);
    this.#props = props;
    const { settings, table, scheduling } = props;
    this.fn = new ConveyorFunction(this, 'Function', {
      settings,
      name: 'sweep',
      entry: 'sweep',
      description: `Conveyor ${settings.stage}: finishes what crashes left (unsent jobs, unflushed webhooks, unreleased held jobs)`,
      // A run reads a minute's window of jobs and acts on the few it finds; a run that overruns overlaps
      // the next one harmlessly (every action is a conditional write).
      timeoutSeconds: 60,
      memoryMb: 256,
      environment: { ...props.environment, ...scheduling.apiEnvironment },
    });
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.sweep], resources: [table.tableArn] }));
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:Query'], resources: [table.tableArn, indexArn(table.tableArn, 'sweep')] }));
    this.fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: Object.values(props.queues).map((queue) => queue.queueArn) }));
    scheduling.grantCreateSchedules(this.fn);

    // A failed run is not retried: the next one comes a minute later and starts from the same watermark.
    this.rule = new Rule(this, 'Schedule', {
      ruleName: `conveyor-${settings.stage}-recovery-sweep`,
      description: `Conveyor ${settings.stage}: runs the recovery sweep every minute`,
      schedule: Schedule.rate(EVERY),
      targets: [new LambdaFunction(this.fn.fn, { retryAttempts: 0 })],
    });
  }

  /** Alarms, named as ConveyorMonitoring names its own, notifying `action` (the stage's alarm topic). */
  monitor(action: IAlarmAction): Alarm[] {
    const { settings, scheduling } = this.#props;
    const prefix = `Conveyor-${settings.stage}`;
    const alarms = [
      new Alarm(this, 'ErrorsAlarm', {
        alarmName: `${prefix}-recovery-sweep-Errors-Critical`,
        alarmDescription: 'The recovery sweep failed: stranded jobs and unflushed webhooks wait until it runs again (see its log).',
        metric: this.fn.fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 0,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      notEmpty(this, 'ScheduleDlqAlarm', `${prefix}-schedule-dlq-Count-Max-Critical`, scheduling.scheduleDlq, 'EventBridge Scheduler could not invoke the target for a schedule after its retries (the sweep releases a held job; a recurring run is lost).'),
      notEmpty(this, 'TargetFailuresAlarm', `${prefix}-scheduler-target-failures-Count-Max-Critical`, scheduling.targetFailures, 'The scheduler target failed an event on every attempt (the sweep releases a held job; a recurring run is lost).'),
    ];
    for (const alarm of alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    return alarms;
  }
}

/** The first message in a queue of failures, as the job DLQs are alarmed on: it stays in alarm until an operator empties the queue. */
function notEmpty(scope: Construct, id: string, alarmName: string, queue: IQueue, alarmDescription: string): Alarm {
  const metric = queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(5) });
  return new Alarm(scope, id, { alarmName, alarmDescription, metric, threshold: 0, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, evaluationPeriods: 1, treatMissingData: TreatMissingData.NOT_BREACHING });
}
