import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/config/stages.js';
import { WebhookDelivery } from '../../infra/constructs/WebhookDelivery.js';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { WEBHOOK_RETRY } from '../../shared/domain/retry.js';

let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  const table = new Table(stack, 'Jobs', { partitionKey: { name: 'pk', type: AttributeType.STRING }, sortKey: { name: 'sk', type: AttributeType.STRING } });
  new WebhookDelivery(stack, 'Webhooks', { settings: stageSettings('prod'), environment: {}, table });
  template = Template.fromStack(stack);
}, 120_000);

describe('Construct: WebhookDelivery', () => {
  it('creates the delivery queue with a DLQ after the last attempt of the retry schedule, encrypted, and the DLQ kept 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'conveyor-prod-webhooks',
      VisibilityTimeout: 60,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: WEBHOOK_RETRY.maxAttempts },
    });
    // The schedule's window (2¼–2½ h) ends well inside the queue's 4-day retention (SQS's default).
    expect(WEBHOOK_RETRY.maxAttempts).toBe(16);
    template.hasResourceProperties('AWS::SQS::Queue', { QueueName: 'conveyor-prod-webhooks-dlq', MessageRetentionPeriod: 14 * 86_400 });
  });

  it('consumes it with partial batch responses and maxConcurrency ≥ 2', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', { FunctionName: 'conveyor-prod-webhooks', Runtime: 'nodejs24.x', Timeout: 10 });
  });

  it('generates the signing secret and lets only the consumer read it, at run time — in no function configuration', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'conveyor/prod/webhook-signing-secret', GenerateSecretString: Match.objectLike({ PasswordLength: 48 }) });
    // Receivers verify with this key: prod keeps it when the stack goes.
    expect(Object.values(template.findResources('AWS::SecretsManager::Secret'))[0]?.DeletionPolicy).toBe('RetainExceptOnCreate');
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'conveyor-prod-webhooks' } }))[0];
    const secretLogicalId = Object.keys(template.findResources('AWS::SecretsManager::Secret'))[0];
    expect(fn?.Properties.Environment.Variables.CONVEYOR_WEBHOOK_SECRET_ID).toEqual({ Ref: secretLogicalId });
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('CONVEYOR_WEBHOOK_SECRET');
    expect(JSON.stringify(template.toJSON())).not.toContain('{{resolve:secretsmanager:');
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('CONVEYOR_WEBHOOK_ALLOW_HOSTS');
  });

  it("lets the consumer record each attempt on the job's record: read, conditional update, and the dead-letter entry's put — nothing else on the table", () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const onTable = policies.filter((statement) => JSON.stringify(statement.Resource).includes('Jobs'));
    expect(onTable.map((statement) => statement.Action)).toEqual([['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem']]);
  });
});
