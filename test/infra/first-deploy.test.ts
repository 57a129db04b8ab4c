import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaBundling } from '../../infra/constructs/ConveyorFunction.js';
import { LAMBDA_BUNDLING } from '../../infra/bundling.js';
import { onlyResource, synthesizeStage, type SynthesizedStage } from './synth.js';

/**
 * What a first `cdk deploy` of a stage meets on AWS, checked on the synthesized templates: alarms
 * that can reach a person, an SES identity that does not collide, a failed first deploy that can be
 * retried, and the runtime the bundles are built for.
 */

/** The context a real production deploy passes (README: Deploying to AWS). */
const PROD_CONTEXT = { alarmEmail: 'ops@acme-jobs.io', emailSender: 'jobs@mail.acme-jobs.io' } as const;

let dev: SynthesizedStage;
let prod: SynthesizedStage;

beforeAll(() => {
  dev = synthesizeStage('dev', { bundle: false });
  prod = synthesizeStage('prod', { bundle: false, context: PROD_CONTEXT });
}, 300_000);

afterAll(() => {
  dev?.cleanup();
  prod?.cleanup();
});

type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Principal?: unknown; Action: string | string[]; Resource?: unknown; Condition?: Record<string, Record<string, unknown>> };

function resourcesOf(stage: SynthesizedStage): [string, Resource][] {
  return [stage.data, stage.service].flatMap((t) => Object.entries(t.toJSON().Resources as Record<string, Resource>));
}

describe('Blocker 1: alarms reach a person', () => {
  it('lets CloudWatch (of this account only) publish to the alarm topic, and still refuses plain HTTP', () => {
    // Prepare
    const topic = onlyResource(prod.service, 'AWS::SNS::Topic', { TopicName: 'conveyor-prod-alarms' });

    // Act
    const policies = Object.values(prod.service.findResources('AWS::SNS::TopicPolicy', { Properties: { Topics: [{ Ref: topic.logicalId }] } })) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);

    // Assess
    expect(policies).toHaveLength(1);
    const allow = statements.filter((s) => s.Effect === 'Allow');
    expect(allow).toEqual([
      {
        Sid: 'CloudWatchAlarmsPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Resource: { Ref: topic.logicalId },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    expect(statements).toContainEqual(expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }));
  });

  it('refuses to synthesise prod without a way for alarms to reach a person, naming the options', () => {
    // Act / Assess
    expect(() => synthesizeStage('prod', { bundle: false, context: { emailSender: PROD_CONTEXT.emailSender } })).toThrow(/-c alarmEmail=.*-c alarmTopicArn=.*-c noAlarmSubscription=true/s);
  });

  it('subscribes the alarm e-mail, or notifies an existing topic, or (explicitly) nobody', () => {
    // Act
    const byTopic = synthesizeStage('prod', { bundle: false, context: { emailSender: PROD_CONTEXT.emailSender, alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-pager' } });
    const silent = synthesizeStage('prod', { bundle: false, context: { emailSender: PROD_CONTEXT.emailSender, noAlarmSubscription: 'true' } });

    try {
      // Assess
      prod.service.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: PROD_CONTEXT.alarmEmail });
      expect(byTopic.service.findResources('AWS::SNS::Topic', { Properties: { TopicName: 'conveyor-prod-alarms' } })).toEqual({});
      const critical = Object.values(byTopic.service.findResources('AWS::CloudWatch::Alarm'))
        .map((a) => (a as { Properties: { AlarmName: string; AlarmActions: unknown } }).Properties)
        .filter((p) => p.AlarmName.endsWith('-Critical'));
      expect(critical.length).toBeGreaterThan(5);
      for (const alarm of critical) expect(alarm.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops-pager']);
      onlyResource(silent.service, 'AWS::SNS::Topic', { TopicName: 'conveyor-prod-alarms' });
      silent.service.resourceCountIs('AWS::SNS::Subscription', 0);
    } finally {
      byTopic.cleanup();
      silent.cleanup();
    }
  });
});

describe('Blocker 2: the SES identity', () => {
  it('refuses a placeholder sender for prod at synth (not a warning)', () => {
    // Act / Assess
    for (const sender of [undefined, 'conveyor@example.com', 'jobs@mail.acme.test', 'a@b.example.org']) {
      expect(() => synthesizeStage('prod', { bundle: false, context: { alarmEmail: PROD_CONTEXT.alarmEmail, ...(sender ? { emailSender: sender } : {}) } }), String(sender)).toThrow(/emailSender/);
    }
  });

  it('creates the identity by default, or uses an existing one (-c emailIdentity=existing) with the grant on its ARN', () => {
    // Act
    const existing = synthesizeStage('prod', { bundle: false, context: { ...PROD_CONTEXT, emailIdentity: 'existing' } });

    try {
      // Assess
      prod.data.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'mail.acme-jobs.io' });
      existing.data.resourceCountIs('AWS::SES::EmailIdentity', 0);
      const policies = JSON.stringify(existing.service.findResources('AWS::IAM::Policy'));
      expect(policies).toContain(':identity/');
      expect(() => synthesizeStage('prod', { bundle: false, context: { ...PROD_CONTEXT, emailIdentity: 'maybe' } })).toThrow(/emailIdentity.*existing.*create/s);
    } finally {
      existing.cleanup();
    }
  });

  it('schedules the recurring example e-mail only in a stage that opts in, and never to a placeholder address in prod', () => {
    // Act
    const optedIn = synthesizeStage('dev', { bundle: false, context: { recurring: 'daily-brief' } });

    try {
      // Assess
      dev.service.resourceCountIs('AWS::Scheduler::Schedule', 0);
      prod.service.resourceCountIs('AWS::Scheduler::Schedule', 0);
      optedIn.service.hasResourceProperties('AWS::Scheduler::Schedule', { Name: 'conveyor-dev-daily-brief' });
      expect(() => synthesizeStage('dev', { bundle: false, context: { recurring: 'nightly-nothing' } })).toThrow(/recurring.*nightly-nothing.*daily-brief/s);
      // The daily brief mails team@example.com: a production stage refuses it until the recipients are real.
      expect(() => synthesizeStage('prod', { bundle: false, context: { ...PROD_CONTEXT, recurring: 'daily-brief' } })).toThrow(/daily-brief.*example\.com/s);
    } finally {
      optedIn.cleanup();
    }
  });
});

describe('Blocker 3: a failed first deploy can be retried', () => {
  it('retains prod state on update or delete but lets a rolled-back create delete it; dev state goes with the stack', () => {
    // Prepare
    const stateful = ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup', 'AWS::SecretsManager::Secret'];

    // Act
    const prodState = resourcesOf(prod).filter(([, r]) => stateful.includes(r.Type));
    const devState = resourcesOf(dev).filter(([, r]) => stateful.includes(r.Type));

    // Assess
    expect(new Set(prodState.map(([, r]) => r.Type))).toEqual(new Set(stateful));
    for (const [id, resource] of prodState) {
      expect([id, resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([id, 'RetainExceptOnCreate', 'Retain']);
    }
    for (const [id, resource] of devState) expect([id, resource.DeletionPolicy]).toEqual([id, 'Delete']);
    // Nothing anywhere survives a rolled-back create: a plain Retain would block the retry.
    for (const [id, resource] of [...resourcesOf(prod), ...resourcesOf(dev)]) expect([id, resource.DeletionPolicy]).not.toEqual([id, 'Retain']);
  });

  it('creates the prod table without deletion protection, which would make the rollback of a failed create fail', () => {
    // Act
    const table = onlyResource(prod.data, 'AWS::DynamoDB::Table');

    // Assess
    expect(table.properties.DeletionProtectionEnabled).not.toBe(true);
    expect(table.properties).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });

  it('turns on termination protection for both prod stacks, neither for dev', () => {
    // Assess
    expect([prod.stacks.data.terminationProtection, prod.stacks.service.terminationProtection]).toEqual([true, true]);
    expect([dev.stacks.data.terminationProtection, dev.stacks.service.terminationProtection]).toEqual([false, false]);
  });
});

describe('Item 7: SES permissions cover what a send is checked against', () => {
  it('lets the e-mail consumer send from its sender only, on any identity (the sandbox checks recipients) and its configuration set', () => {
    // Prepare
    const fn = onlyResource(prod.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-worker-email' });
    const roleId = (fn.properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const configurationSet = onlyResource(prod.service, 'AWS::SES::ConfigurationSet');

    // Act
    const statements = Object.values(prod.service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
    );
    const sends = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('ses:')));

    // Assess
    expect(sends).toHaveLength(1);
    expect(sends[0]!.Action).toBe('ses:SendEmail');
    const resources = JSON.stringify(sends[0]!.Resource);
    expect(resources).toContain(':identity/*');
    expect(resources).toContain(`:configuration-set/`);
    expect(sends[0]!.Condition).toEqual({ StringEquals: { 'ses:FromAddress': PROD_CONTEXT.emailSender } });
    expect((fn.properties.Environment as { Variables: Record<string, unknown> }).Variables.CONVEYOR_SES_CONFIGURATION_SET).toEqual({ Ref: configurationSet.logicalId });
  });
});

describe('Runtime: Node.js 24 on arm64, bundles built for it', () => {
  it('runs every function on nodejs24.x arm64 and bundles for node24', () => {
    // Act
    const functions = [dev, prod].flatMap((stage) => Object.values(stage.service.findResources('AWS::Lambda::Function')) as { Properties: Record<string, unknown> }[]);

    // Assess
    expect(functions.length).toBeGreaterThan(6);
    for (const fn of functions) expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
    expect(LAMBDA_BUNDLING.target).toBe('node24');
    expect(lambdaBundling().target).toBe('node24');
    prod.service.hasResourceProperties('AWS::Lambda::Function', Match.objectLike({ Runtime: 'nodejs24.x' }));
  });
});
