import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobScheduling } from '../../infra/constructs/JobScheduling.js';
import { recurringJobs } from '../../shared/jobs/recurring.js';

let template: Template;

beforeAll(() => {
  // Prepare: the construct in a bare stack, with a table, two queues and an API role to grant.
  const app = new App();
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const table = new Table(stack, 'Table', { partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const queues = { analysis: new Queue(stack, 'Analysis'), 'analysis:high': new Queue(stack, 'AnalysisHigh') };
  const scheduling = new JobScheduling(stack, 'Scheduling', { stage: 'prod', table, queues, environment: { CONVEYOR_TABLE_NAME: table.tableName }, recurring: recurringJobs });
  const api = new Role(stack, 'Api', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
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

  it('runs the scheduler target on Node 22 / arm64, with the table and queues granted', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'conveyor-prod-scheduler-target',
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Environment: { Variables: Match.objectLike({ CONVEYOR_SCHEDULE_GROUP: 'conveyor-prod-jobs', CONVEYOR_SCHEDULER_ROLE_ARN: Match.anyValue() }) },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['sqs:SendMessage']) })]) },
    });
  });

  it('lets only scheduler.amazonaws.com of this account assume the invoke role, which may invoke the target', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } } })],
      },
    });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'lambda:InvokeFunction' })]) },
    });
  });

  it('grants the API CreateSchedule in the group only, and PassRole only to the scheduler', () => {
    const apiPolicy = Object.entries(template.findResources('AWS::IAM::Policy')).find(([id]) => id.startsWith('ApiDefaultPolicy'))?.[1];
    const statements = (apiPolicy?.Properties.PolicyDocument.Statement ?? []) as { Action: string; Resource: unknown; Condition?: unknown }[];
    const create = statements.find((s) => s.Action === 'scheduler:CreateSchedule');
    const pass = statements.find((s) => s.Action === 'iam:PassRole');
    expect(JSON.stringify(create?.Resource)).toContain(':scheduler:eu-central-1:111122223333:schedule/conveyor-prod-jobs/*');
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    expect(statements).toHaveLength(2);
  });
});
