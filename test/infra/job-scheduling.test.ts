import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/config/stages.js';
import { ConveyorFunction } from '../../infra/constructs/ConveyorFunction.js';
import { JobScheduling } from '../../infra/constructs/JobScheduling.js';
import { recurringJobs } from '../../shared/jobs/recurring.js';

let template: Template;
let scheduling: JobScheduling;

beforeAll(() => {
  // Prepare: the construct in a bare stack (no bundling), with a table, two queues and an API function to grant.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const settings = stageSettings('prod');
  const table = new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const queues = { analysis: new Queue(stack, 'Analysis'), 'analysis:high': new Queue(stack, 'AnalysisHigh') };
  scheduling = new JobScheduling(stack, 'Scheduling', { settings, table, queues, environment: { CONVEYOR_TABLE_NAME: table.tableName }, recurring: recurringJobs });
  const api = new ConveyorFunction(stack, 'Api', { settings, name: 'api', entry: 'api', description: 'test', timeoutSeconds: 10, memoryMb: 256, environment: {} });
  scheduling.grantCreateSchedules(api);
  template = Template.fromStack(stack);
}, 120_000);

describe('Construct: JobScheduling', () => {
  it('creates the schedule group for one-time job releases', () => {
    template.hasResourceProperties('AWS::Scheduler::ScheduleGroup', { Name: 'conveyor-prod-jobs' });
  });

  it('makes the daily brief an EventBridge cron schedule in its IANA time zone, invoking the target with its due time', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'conveyor-prod-daily-brief',
      GroupName: 'conveyor-prod-jobs',
      ScheduleExpression: 'cron(0 8 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: Match.objectLike({
        Input: JSON.stringify({ recurring: 'daily-brief', scheduledAt: '<aws.scheduler.scheduled-time>' }),
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      }),
    });
    expect(Object.keys(template.findResources('AWS::Scheduler::Schedule'))).toHaveLength(recurringJobs.length);
  });

  it('runs the scheduler target on Node 24 / arm64, with SendMessage on exactly the given queues', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'conveyor-prod-scheduler-target', Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    // The two job queues given (not the construct's own failure queues).
    const queueIds = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => !id.startsWith('Scheduling')).sort();
    expect(queueIds).toHaveLength(2);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })) }]) },
    });
  });

  it('hands an event the target failed on every attempt to its failure queue instead of dropping it', () => {
    // Lambda retries an asynchronous invocation twice, then drops it unless a destination takes it.
    const failures = Object.keys(template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'conveyor-prod-scheduler-target-failures' } }));
    expect(failures).toHaveLength(1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [failures[0], 'Arn'] } } },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'conveyor-prod-scheduler-target-failures', MessageRetentionPeriod: 14 * 86_400, SqsManagedSseEnabled: true });
  });

  it('gives every schedule a dead-letter queue the scheduler\'s role may send to, and tells the API its ARN', () => {
    const dlq = Object.keys(template.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'conveyor-prod-schedule-dlq' } }));
    expect(dlq).toHaveLength(1);
    for (const schedule of Object.values(template.findResources('AWS::Scheduler::Schedule'))) {
      expect((schedule as { Properties: { Target: { DeadLetterConfig: unknown } } }).Properties.Target.DeadLetterConfig).toEqual({ Arn: { 'Fn::GetAtt': [dlq[0], 'Arn'] } });
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': [dlq[0], 'Arn'] } }]) },
    });
    expect(scheduling.apiEnvironment.CONVEYOR_SCHEDULE_DLQ_ARN).toBeDefined();
  });

  it('lets only scheduler.amazonaws.com of this account assume the invoke role, which may invoke the target', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } })],
      },
    });
    const target = Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'conveyor-prod-scheduler-target' } }))[0]!;
    // The unqualified ARN only: no `:*` versions or aliases; and the schedules' DLQ, nothing else.
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [target, 'Arn'] } }, Match.objectLike({ Action: 'sqs:SendMessage' })] },
    });
  });

  it('grants the API CreateSchedule in the group only, and PassRole only to the scheduler', () => {
    const apiPolicy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('ApiRoleDefaultPolicy'))?.[1];
    const statements = (apiPolicy?.Properties.PolicyDocument.Statement ?? []) as { Action: string; Resource: unknown; Condition?: unknown }[];
    const create = statements.find((s) => s.Action === 'scheduler:CreateSchedule');
    const pass = statements.find((s) => s.Action === 'iam:PassRole');
    const role = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] } } }));
    expect(create?.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:eu-central-1:111122223333:schedule/conveyor-prod-jobs/*']] });
    expect(role).toHaveLength(1);
    expect(pass?.Resource).toEqual({ 'Fn::GetAtt': [role[0], 'Arn'] });
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    // Its log group, X-Ray (prod traces: test/infra/tracing.test.ts), and the two grants.
    expect(statements.map((s) => s.Action).filter((a) => !JSON.stringify(a).includes('logs:') && !JSON.stringify(a).includes('xray:'))).toEqual(['scheduler:CreateSchedule', 'iam:PassRole']);
  });
});
