import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/config/stages.js';
import { JobScheduling } from '../../infra/constructs/JobScheduling.js';
import { RecoverySweep } from '../../infra/constructs/RecoverySweep.js';
import { recurringJobs } from '../../shared/jobs/recurring.js';
import { onlyResource, synthesizeStage } from './synth.js';

let template: Template;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
let statements: Statement[];

beforeAll(() => {
  // Prepare: the construct in a bare stack (no bundling) with a table, two job queues and the scheduling it uses.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const settings = stageSettings('prod');
  const table = new Table(stack, 'Table', { tableName: 'conveyor-prod-jobs', partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const queues = { analysis: new Queue(stack, 'Analysis'), 'analysis:high': new Queue(stack, 'AnalysisHigh') };
  const scheduling = new JobScheduling(stack, 'Scheduling', { settings, table, queues, environment: { CONVEYOR_TABLE_NAME: table.tableName }, recurring: recurringJobs });
  const sweep = new RecoverySweep(stack, 'Recovery', { settings, table, queues, environment: { CONVEYOR_TABLE_NAME: table.tableName }, scheduling });
  sweep.monitor(new SnsAction(new Topic(stack, 'Alarms')));
  template = Template.fromStack(stack);
  const role = (onlyResource(template, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-sweep' }).properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  statements = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } })).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}, 120_000);

const actionsOf = (list: Statement[]) => [...new Set(list.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();

describe('Construct: RecoverySweep', () => {
  it('runs the sweep function every minute from an EventBridge rule, without the rule\'s own retries', () => {
    const fn = onlyResource(template, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-sweep' });
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'conveyor-prod-recovery-sweep',
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 0 } })],
    });
    expect(fn.properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 60 });
    template.hasResourceProperties('AWS::Lambda::Permission', { Action: 'lambda:InvokeFunction', Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [fn.logicalId, 'Arn'] } });
  });

  it('gives it exactly what it calls: job items, the job partitions and the sweep index, the job queues, the schedule group', () => {
    // Assess
    expect(actionsOf(statements)).toEqual([
      'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'iam:PassRole',
      'logs:CreateLogStream', 'logs:PutLogEvents',
      'scheduler:CreateSchedule',
      'sqs:SendMessage',
      // prod traces: Lambda's active tracing writes the function's segments.
      'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    const query = statements.find((s) => actionsOf([s]).includes('dynamodb:Query'))!;
    expect(JSON.stringify(query.Resource)).toContain('/index/sweep');
    expect(JSON.stringify(query.Resource)).not.toContain('/index/deadLetters');
    const queueIds = Object.keys(template.findResources('AWS::SQS::Queue')).filter((id) => id.startsWith('Analysis')).sort();
    expect(statements.find((s) => actionsOf([s]).includes('sqs:SendMessage'))?.Resource).toEqual(queueIds.map((id) => ({ 'Fn::GetAtt': [id, 'Arn'] })));
    expect(statements.find((s) => actionsOf([s]).includes('iam:PassRole'))?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it('tells the sweep where one-time schedules go (to re-create one an enqueue died before making)', () => {
    const fn = onlyResource(template, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-sweep' });
    const variables = (fn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(Object.keys(variables).sort()).toEqual(['CONVEYOR_RELEASE_FUNCTION_ARN', 'CONVEYOR_SCHEDULER_ROLE_ARN', 'CONVEYOR_SCHEDULE_DLQ_ARN', 'CONVEYOR_SCHEDULE_GROUP', 'CONVEYOR_TABLE_NAME']);
  });

  it('alarms on the sweep\'s errors and on the first event in either of the scheduler\'s failure queues', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => (a as { Properties: Record<string, unknown> }).Properties);
    expect(alarms.map((a) => a.AlarmName).sort()).toEqual([
      'Conveyor-prod-recovery-sweep-Errors-Critical',
      'Conveyor-prod-schedule-dlq-Count-Max-Critical',
      'Conveyor-prod-scheduler-target-failures-Count-Max-Critical',
    ]);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', TreatMissingData: 'notBreaching' });
      expect(alarm.AlarmActions).toHaveLength(1);
    }
    const dlqAlarm = alarms.find((a) => a.AlarmName === 'Conveyor-prod-schedule-dlq-Count-Max-Critical')!;
    expect(dlqAlarm).toMatchObject({ MetricName: 'ApproximateNumberOfMessagesVisible', Namespace: 'AWS/SQS', Statistic: 'Maximum' });
  });
});

describe('CDK: the recovery sweep in a stage (cdk-nag checked)', () => {
  it('synthesises with the sweep wired to the webhook queue and the stage\'s alarm topic, and no unacknowledged cdk-nag finding', () => {
    // Act
    const stage = synthesizeStage('dev', { bundle: false });
    try {
      const fn = onlyResource(stage.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-sweep' });
      const variables = (fn.properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const topic = onlyResource(stage.service, 'AWS::SNS::Topic', { TopicName: 'conveyor-dev-alarms' });
      const sweepAlarm = onlyResource(stage.service, 'AWS::CloudWatch::Alarm', { AlarmName: 'Conveyor-dev-recovery-sweep-Errors-Critical' });
      const nag = stage.report.pluginReports.flatMap((report) => report.violations);

      // Assess
      expect(Object.keys(variables)).toEqual(expect.arrayContaining(['CONVEYOR_QUEUE_URLS', 'CONVEYOR_WEBHOOK_QUEUE_URL', 'CONVEYOR_TABLE_NAME', 'CONVEYOR_SCHEDULE_GROUP']));
      expect(sweepAlarm.properties.AlarmActions).toEqual([{ Ref: topic.logicalId }]);
      expect(nag.filter((v) => v.severity === 'error')).toEqual([]);
    } finally {
      stage.cleanup();
    }
  }, 300_000);
});
