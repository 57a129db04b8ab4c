import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/config/stages.js';
import { RedriveConsumer } from '../../infra/constructs/RedriveConsumer.js';
import { REDRIVE_CONSUMER } from '../../shared/config/redrive.js';
import { onlyResource } from './synth.js';

let template: Template;
type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
let statements: Statement[];
let arnOf: (name: string) => unknown;

beforeAll(() => {
  // Prepare: the construct in a bare stack (no bundling) with a table and one job type's two lanes and DLQ.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const settings = stageSettings('prod');
  const table = new Table(stack, 'Table', { tableName: 'conveyor-prod-jobs', partitionKey: { name: 'pk', type: AttributeType.STRING } });
  const lanes = [{ queue: new Queue(stack, 'Analysis', { queueName: 'conveyor-prod-analysis' }) }, { queue: new Queue(stack, 'AnalysisHigh', { queueName: 'conveyor-prod-analysis-high' }) }];
  const dlq = new Queue(stack, 'AnalysisDlq', { queueName: 'conveyor-prod-analysis-dlq' });
  const redrive = new RedriveConsumer(stack, 'Redrive', { settings, table, queues: { analysis: { lanes, dlq } }, environment: { CONVEYOR_TABLE_NAME: table.tableName } });
  redrive.monitor(new SnsAction(new Topic(stack, 'Alarms')));
  template = Template.fromStack(stack);
  const role = (onlyResource(template, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-redrive' }).properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  statements = Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } })).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
  arnOf = (name) => ({ 'Fn::GetAtt': [onlyResource(template, 'AWS::SQS::Queue', { QueueName: name }).logicalId, 'Arn'] });
}, 120_000);

const actionsOf = (list: Statement[]) => [...new Set(list.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
const on = (action: string) => statements.filter((s) => actionsOf([s]).includes(action)).map((s) => s.Resource);

describe('Construct: RedriveConsumer', () => {
  it('reads the redrive queue one nudge per invocation, with partial batch responses, its visibility six times the function timeout', () => {
    const fn = onlyResource(template, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-redrive' });
    expect(fn.properties).toMatchObject({ Timeout: REDRIVE_CONSUMER.timeoutSeconds });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn.logicalId },
      EventSourceArn: arnOf('conveyor-prod-redrive'),
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: REDRIVE_CONSUMER.maxConcurrency },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'conveyor-prod-redrive',
      VisibilityTimeout: 6 * REDRIVE_CONSUMER.timeoutSeconds,
      RedrivePolicy: { deadLetterTargetArn: arnOf('conveyor-prod-redrive-dlq'), maxReceiveCount: REDRIVE_CONSUMER.maxReceiveCount },
      SqsManagedSseEnabled: true,
    });
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'conveyor-prod-redrive-dlq', MessageRetentionPeriod: 14 * 86_400 });
    // The lease outlasts a run, so a run that died is never taken for a live one.
    expect(REDRIVE_CONSUMER.leaseMs).toBeGreaterThan(REDRIVE_CONSUMER.timeoutSeconds * 1000);
  });

  it('grants exactly what its code calls: job items and tasks, the dead-letter index, the move on the DLQs, the job queues as its destination, its own queue', () => {
    expect(actionsOf(statements)).toEqual([
      'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'logs:CreateLogStream', 'logs:PutLogEvents',
      'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ListMessageMoveTasks', 'sqs:ReceiveMessage', 'sqs:SendMessage', 'sqs:StartMessageMoveTask',
      // The prod stage traces every function (X-Ray).
      'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
    expect(JSON.stringify(on('dynamodb:Query'))).toMatch(/\/index\/deadLetters"/);
    expect(JSON.stringify(on('dynamodb:Query'))).not.toMatch(/table\/conveyor-prod-jobs"\]/);
    expect(on('sqs:StartMessageMoveTask')).toEqual([arnOf('conveyor-prod-analysis-dlq')]);
    expect(on('sqs:SendMessage')).toEqual([[arnOf('conveyor-prod-analysis'), arnOf('conveyor-prod-analysis-high')], arnOf('conveyor-prod-redrive')]);
    // Only X-Ray's two actions are on "*" (they take no resource).
    expect(statements.filter((s) => JSON.stringify(s.Resource) === '"*"').flatMap((s) => [s.Action].flat()).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  it('alarms on its errors and on a nudge in its DLQ (a stalled task)', () => {
    for (const alarmName of ['Conveyor-prod-redrive-Errors-Critical', 'Conveyor-prod-redrive-dlq-Count-Max-Critical']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: alarmName, Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', AlarmActions: [Match.anyValue()], OKActions: [Match.anyValue()] });
    }
  });
});
