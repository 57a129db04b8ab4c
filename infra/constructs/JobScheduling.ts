import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnEventInvokeConfig } from 'aws-cdk-lib/aws-lambda';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { toEventBridgeCron } from '../../shared/jobs/cron.js';
import type { RecurringJobDefinition } from '../../shared/jobs/recurring.js';
import type { StageSettings } from '../config/stages.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import { acknowledgeWildcardResource } from './nag.js';
import { TABLE_ACTIONS } from './permissions.js';

export interface JobSchedulingProps {
  readonly settings: StageSettings;
  readonly table: ITable;
  /** Every job queue the target may send to, by CONVEYOR_QUEUE_URLS key (`analysis`, `analysis:high`…). */
  readonly queues: Readonly<Record<string, IQueue>>;
  /** Environment the target shares with the other functions (table name, queue URLs, …). */
  readonly environment: Readonly<Record<string, string>>;
  readonly recurring: readonly RecurringJobDefinition[];
}

/** EventBridge Scheduler's retry ceiling: 185 attempts over 24 h, so a short outage loses nothing. */
const RETRY_POLICY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;
/** A failed event waits this long in a failure queue for an operator (SQS's maximum). */
const FAILURE_RETENTION = Duration.days(14);

/**
 * Delayed and recurring jobs on EventBridge Scheduler:
 * - a schedule group `conveyor-<stage>-jobs` for the one-time `at(…)` schedules the API creates for
 *   jobs due more than 15 minutes ahead (SQS DelaySeconds covers the rest);
 * - one `cron(…)` schedule per registry entry (`shared/jobs/recurring.ts`), in its IANA time zone,
 *   so EventBridge applies the same daylight-saving rules the local scheduler does;
 * - the scheduler-target Lambda both kinds invoke, and the role the scheduler assumes to invoke it;
 * - where failures go instead of being dropped: the schedules' dead-letter queue (an invocation the
 *   scheduler could not make after its retries,
 *   https://docs.aws.amazon.com/scheduler/latest/UserGuide/configuring-schedule-dlq.html) and the
 *   target's on-failure destination (EventBridge Scheduler invokes Lambda asynchronously,
 *   https://docs.aws.amazon.com/lambda/latest/dg/with-eventbridge-scheduler.html, and Lambda drops an
 *   asynchronous event after its two retries unless a destination takes it,
 *   https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html). A held job whose release ends
 *   in either is released by the recovery sweep; the queues are for the alarm and the post-mortem.
 * Order: derive, create, wire; grants for the API go through `grantCreateSchedules`.
 */
export class JobScheduling extends Construct {
  readonly group: CfnScheduleGroup;
  readonly groupName: string;
  readonly target: ConveyorFunction;
  readonly schedulerRole: Role;
  readonly recurringSchedules: readonly CfnSchedule[];
  /** Invocations the scheduler could not deliver after its retry policy (its dead-letter queue). */
  readonly scheduleDlq: Queue;
  /** Events the target failed on every attempt (the Lambda's on-failure destination). */
  readonly targetFailures: Queue;

  constructor(scope: Construct, id: string, props: JobSchedulingProps) {
    super(scope, id);
    const { settings } = props;
    this.groupName = `conveyor-${settings.stage}-jobs`;

    this.group = new CfnScheduleGroup(this, 'Group', { name: this.groupName });
    this.scheduleDlq = failureQueue(this, 'ScheduleDlq', `conveyor-${settings.stage}-schedule-dlq`, "the schedules' dead-letter queue");
    this.targetFailures = failureQueue(this, 'TargetFailures', `conveyor-${settings.stage}-scheduler-target-failures`, "the scheduler target's on-failure destination");
    this.target = new ConveyorFunction(this, 'Target', {
      settings,
      name: 'scheduler-target',
      entry: 'scheduler-target',
      description: `Conveyor ${settings.stage}: releases held jobs when due and enqueues recurring jobs`,
      // One record read and one send per invocation (an idempotent enqueue for a recurring job); 30 s
      // leaves room for SDK retries.
      timeoutSeconds: 30,
      memoryMb: 256,
      environment: props.environment,
    });
    // Lambda's defaults for an asynchronous invocation (two retries, six hours), then the failure queue
    // instead of a silent drop. Lambda sends the record with the function's role, which needs
    // sqs:SendMessage on the queue and nothing more
    // (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html); CDK's
    // SqsDestination would grant GetQueueAttributes and GetQueueUrl too. The configuration waits for
    // the grant: Lambda checks the permission when the destination is set.
    this.target.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.targetFailures.queueArn] }));
    const asyncInvoke = new CfnEventInvokeConfig(this, 'TargetAsyncInvoke', {
      functionName: this.target.fn.functionName,
      qualifier: '$LATEST',
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: Duration.hours(6).toSeconds(),
      destinationConfig: { onFailure: { destination: this.targetFailures.queueArn } },
    });
    asyncInvoke.node.addDependency(this.target.role);
    // A release reads the job and claims, sends and confirms its message; a recurring run enqueues
    // through the API's own JobService (idempotency key, record, message, clean-up on a failed send):
    // the API's item actions.
    this.target.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.api], resources: [props.table.tableArn] }));
    this.target.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: Object.values(props.queues).map((queue) => queue.queueArn) }));

    // The role EventBridge Scheduler assumes: invoke the target (its unqualified ARN, no version or
    // alias), nothing else, and only for schedules of this account (confused-deputy guard).
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `EventBridge Scheduler invokes the Conveyor ${settings.stage} scheduler target`,
    });
    this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.target.fn.functionArn] }));
    // The schedule's execution role delivers its dead-letter events (the configuring-schedule-dlq page above).
    this.schedulerRole.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.scheduleDlq.queueArn] }));

    this.recurringSchedules = props.recurring.map(
      (definition) =>
        new CfnSchedule(this, `Recurring-${definition.name}`, {
          name: `conveyor-${settings.stage}-${definition.name}`,
          description: definition.description.slice(0, 512),
          groupName: this.groupName,
          scheduleExpression: toEventBridgeCron(definition.cron),
          scheduleExpressionTimezone: definition.timeZone,
          flexibleTimeWindow: { mode: 'OFF' },
          state: 'ENABLED',
          target: {
            arn: this.target.fn.functionArn,
            roleArn: this.schedulerRole.roleArn,
            // The scheduler fills in the occurrence's due time: the idempotency key of that run.
            input: JSON.stringify({ recurring: definition.name, scheduledAt: '<aws.scheduler.scheduled-time>' }),
            retryPolicy: RETRY_POLICY,
            deadLetterConfig: { arn: this.scheduleDlq.queueArn },
          },
        }),
    );
    for (const schedule of this.recurringSchedules) schedule.addResourceDependency(this.group);
  }

  /** The environment of a function that makes one-time schedules (EventBridgeReleaseScheduler reads these). */
  get apiEnvironment(): Record<string, string> {
    return {
      CONVEYOR_SCHEDULE_GROUP: this.groupName,
      CONVEYOR_RELEASE_FUNCTION_ARN: this.target.fn.functionArn,
      CONVEYOR_SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      CONVEYOR_SCHEDULE_DLQ_ARN: this.scheduleDlq.queueArn,
    };
  }

  /** Lets a function create one-time schedules in this group (only) and hand the scheduler its role (only). */
  grantCreateSchedules(fn: ConveyorFunction): void {
    const schedules = Stack.of(this).formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.groupName}/*` });
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [schedules] }));
    fn.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['iam:PassRole'], resources: [this.schedulerRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } }),
    );
    acknowledgeWildcardResource(
      fn.role,
      schedules,
      'One-time schedules are named after the job they release (job-<jobId>), so the grant covers the schedules of this one group; CreateSchedule is the only action.',
    );
  }

  /**
   * Invocations EventBridge Scheduler gave up on after its retry policy (185 tries over 24 h): a
   * held job that was never released, or a recurring run that never happened.
   */
  metricDropped(): Metric {
    return new Metric({ namespace: 'AWS/Scheduler', metricName: 'InvocationDroppedCount', dimensionsMap: { ScheduleGroup: this.groupName }, statistic: 'Sum' });
  }

  /** Target errors (the target Lambda failed or was throttled); the scheduler retries them. */
  metricTargetErrors(): Metric {
    return new Metric({ namespace: 'AWS/Scheduler', metricName: 'TargetErrorCount', dimensionsMap: { ScheduleGroup: this.groupName }, statistic: 'Sum' });
  }
}

/** A queue that only holds failed events for an operator: encrypted, TLS only, kept 14 days, no DLQ of its own. */
function failureQueue(scope: Construct, id: string, queueName: string, what: string): Queue {
  const queue = new Queue(scope, id, { queueName, retentionPeriod: FAILURE_RETENTION, encryption: QueueEncryption.SQS_MANAGED, enforceSSL: true });
  Validations.of(queue).acknowledge({ id: 'AwsSolutions-SQS3', reason: `This queue is ${what}: failed events end here, it has no dead-letter queue of its own by design.` });
  return queue;
}
