import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/config/stages.js';
import { WebhookDelivery } from '../../infra/constructs/WebhookDelivery.js';

let template: Template;

beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Test', { env: { account: '111122223333', region: 'eu-central-1' } });
  new WebhookDelivery(stack, 'Webhooks', { settings: stageSettings('prod'), environment: {} });
  template = Template.fromStack(stack);
}, 120_000);

describe('Construct: WebhookDelivery', () => {
  it('creates the delivery queue with a DLQ after 8 receives, encrypted, and the DLQ kept 14 days', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'conveyor-prod-webhooks',
      VisibilityTimeout: 60,
      SqsManagedSseEnabled: true,
      RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: 8 },
    });
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
});
