import { fileURLToPath } from 'node:url';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { toEventBridgeCron } from '../../shared/jobs/cron.js';
import type { RecurringJobDefinition } from '../../shared/jobs/recurring.js';
import { lambdaBundling } from './ConveyorFunction.js';

export interface JobSchedulingProps {
  readonly stage: string;
  readonly table: ITable;
  /** Every job queue the target may send to, by CONVEYOR_QUEUE_URLS key (`analysis`, `analysis:high`…). */
  readonly queues: Readonly<Record<string, IQueue>>;
  /** Environment the target shares with the other functions (table name, queue URLs, …). */
  readonly environment: Readonly<Record<string, string>>;
  readonly recurring: readonly RecurringJobDefinition[];
}

/** EventBridge Scheduler's retry ceiling: 185 attempts over 24 h, so a short outage loses nothing. */
const RETRY_POLICY = { maximumEventAgeInSeconds: 86_400, maximumRetryAttempts: 185 } as const;

/**
 * Delayed and recurring jobs on EventBridge Scheduler:
 * - a schedule group `conveyor-<stage>-jobs` for the one-time `at(…)` schedules the API creates for
 *   jobs due more than 15 minutes ahead (SQS DelaySeconds covers the rest);
 * - one `cron(…)` schedule per registry entry (`shared/jobs/recurring.ts`), in its IANA time zone,
 *   so EventBridge applies the same daylight-saving rules the local scheduler does;
 * - the scheduler-target Lambda both kinds invoke, and the role the scheduler assumes to invoke it.
 * Order: derive, create, wire; grants for the API go through `grantCreateSchedules`.
 */
export class JobScheduling extends Construct {
  readonly group: CfnScheduleGroup;
  readonly target: NodejsFunction;
  readonly schedulerRole: Role;
  readonly recurringSchedules: readonly CfnSchedule[];

  constructor(scope: Construct, id: string, props: JobSchedulingProps) {
    super(scope, id);
    const groupName = `conveyor-${props.stage}-jobs`;

    this.group = new CfnScheduleGroup(this, 'Group', { name: groupName });
    this.target = new NodejsFunction(this, 'Target', {
      functionName: `conveyor-${props.stage}-scheduler-target`,
      entry: fileURLToPath(new URL('../../functions/entry/scheduler-target.ts', import.meta.url)),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      // One record read and one send per invocation; 30 s leaves room for SDK retries.
      timeout: Duration.seconds(30),
      environment: { ...props.environment, CONVEYOR_SCHEDULE_GROUP: groupName },
      bundling: lambdaBundling(),
    });
    props.table.grantReadWriteData(this.target);
    for (const queue of Object.values(props.queues)) queue.grantSendMessages(this.target);

    // The role EventBridge Scheduler assumes: invoke the target, nothing else, and only for schedules
    // of this account (confused-deputy guard).
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } } }),
      description: `EventBridge Scheduler invokes the Conveyor ${props.stage} scheduler target`,
    });
    this.target.grantInvoke(this.schedulerRole);
    this.target.addEnvironment('CONVEYOR_SCHEDULER_ROLE_ARN', this.schedulerRole.roleArn);

    this.recurringSchedules = props.recurring.map(
      (definition) =>
        new CfnSchedule(this, `Recurring-${definition.name}`, {
          name: `conveyor-${props.stage}-${definition.name}`,
          description: definition.description.slice(0, 512),
          groupName: this.group.name!,
          scheduleExpression: toEventBridgeCron(definition.cron),
          scheduleExpressionTimezone: definition.timeZone,
          flexibleTimeWindow: { mode: 'OFF' },
          state: 'ENABLED',
          target: {
            arn: this.target.functionArn,
            roleArn: this.schedulerRole.roleArn,
            // The scheduler fills in the occurrence's due time: the idempotency key of that run.
            input: JSON.stringify({ recurring: definition.name, scheduledAt: '<aws.scheduler.scheduled-time>' }),
            retryPolicy: RETRY_POLICY,
          },
        }),
    );
    for (const schedule of this.recurringSchedules) schedule.addDependency(this.group);
  }

  /** The API's environment for one-time schedules (EventBridgeReleaseScheduler reads these three). */
  get apiEnvironment(): Record<string, string> {
    return {
      CONVEYOR_SCHEDULE_GROUP: this.group.name!,
      CONVEYOR_RELEASE_FUNCTION_ARN: this.target.functionArn,
      CONVEYOR_SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
    };
  }

  /** Lets the API create one-time schedules in this group and hand the scheduler its role. */
  grantCreateSchedules(grantee: IGrantable): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['scheduler:CreateSchedule'],
        resources: [stack.formatArn({ service: 'scheduler', resource: 'schedule', resourceName: `${this.group.name!}/*` })],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['iam:PassRole'], resources: [this.schedulerRole.roleArn], conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } }),
    );
  }
}
