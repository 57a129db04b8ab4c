import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/env.js';
import { DEFAULT_AI_MODEL_ID } from '../../infra/config/stages.js';
import { JOB_TYPES } from '../../shared/jobs/registry.js';
import { onlyResource, resolveForDeploy, synthesizeStage, type SynthesizedStage } from './synth.js';

// Templates only (no bundling): the default stage, and one that turns AI analysis on with its own model and Region.
let plain: SynthesizedStage;
let aiAnalysis: SynthesizedStage;

beforeAll(() => {
  plain = synthesizeStage('dev', { bundle: false });
  aiAnalysis = synthesizeStage('staging', { bundle: false, context: { aiAnalysis: 'on', aiModelId: 'anthropic.claude-3-haiku-20240307-v1:0', aiRegion: 'eu-central-1', alarmEmail: 'ops@acme.test', emailSender: 'jobs@mail.acme.org' } });
}, 300_000);

afterAll(() => {
  plain?.cleanup();
  aiAnalysis?.cleanup();
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

function actions(statement: Statement): string[] {
  return [statement.Action].flat();
}

/** Each function's name → its role's statements. */
function statementsByFunction(stage: SynthesizedStage): Map<string, Statement[]> {
  const functions = stage.service.findResources('AWS::Lambda::Function') as Record<string, { Properties: { FunctionName: string; Role: { 'Fn::GetAtt': [string, string] } } }>;
  const policies = Object.values(stage.service.findResources('AWS::IAM::Policy')) as { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: Statement[] } } }[];
  return new Map(
    Object.values(functions).map((fn) => {
      const role = fn.Properties.Role['Fn::GetAtt'][0];
      return [fn.Properties.FunctionName, policies.filter((p) => p.Properties.Roles.some((r) => r.Ref === role)).flatMap((p) => p.Properties.PolicyDocument.Statement)] as const;
    }),
  );
}

/** The ARN as CDK renders it: the stack's Region as a reference, a configured Region inline. */
function modelArn(region: { Ref: 'AWS::Region' } | string, modelId: string) {
  return typeof region === 'string'
    ? { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:bedrock:${region}::foundation-model/${modelId}`]] }
    : { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:', region, `::foundation-model/${modelId}`]] };
}

function envOf(stage: SynthesizedStage, functionName: string): Record<string, string> {
  const fn = onlyResource(stage.service, 'AWS::Lambda::Function', { FunctionName: functionName });
  return resolveForDeploy((fn.properties.Environment as { Variables: unknown }).Variables, stage.service) as Record<string, string>;
}

describe('CDK: the ai consumer and Bedrock', () => {
  it('grants bedrock:InvokeModel on the stage’s model ARN only, to the ai consumer’s role only', () => {
    // Prepare
    const invokers = [...statementsByFunction(plain)].flatMap(([name, statements]) => statements.filter((s) => actions(s).some((a) => a.startsWith('bedrock:'))).map((s) => [name, s] as const));

    // Assess
    expect(invokers).toEqual([['conveyor-dev-worker-ai', { Effect: 'Allow', Action: 'bedrock:InvokeModel', Resource: modelArn({ Ref: 'AWS::Region' }, DEFAULT_AI_MODEL_ID) }]]);
  });

  it('configures the ai consumer for Bedrock with that model, and no other function', () => {
    // Act
    const ai = parseConfig(envOf(plain, 'conveyor-dev-worker-ai'));
    const others = ['conveyor-dev-worker-analysis', 'conveyor-dev-worker-email', 'conveyor-dev-worker-notification', 'conveyor-dev-api'].map((name) => envOf(plain, name));

    // Assess
    expect(ai).toMatchObject({ CONVEYOR_AI_PROVIDER: 'bedrock', CONVEYOR_AI_MODEL_ID: DEFAULT_AI_MODEL_ID, CONVEYOR_JOB_TYPE: 'ai' });
    for (const env of others) expect(Object.keys(env).filter((k) => k.startsWith('CONVEYOR_AI_'))).toEqual([]);
  });

  it('with -c aiAnalysis=on, grants and configures the analysis consumer too, for the configured model and Region', () => {
    // Prepare
    const invokers = [...statementsByFunction(aiAnalysis)].flatMap(([name, statements]) => statements.filter((s) => actions(s).includes('bedrock:InvokeModel')).map((s) => [name, s.Resource] as const));
    const arn = modelArn('eu-central-1', 'anthropic.claude-3-haiku-20240307-v1:0');

    // Assess
    expect(invokers.sort()).toEqual([['conveyor-staging-worker-ai', arn], ['conveyor-staging-worker-analysis', arn]]);
    expect(parseConfig(envOf(aiAnalysis, 'conveyor-staging-worker-analysis'))).toMatchObject({ CONVEYOR_AI_PROVIDER: 'bedrock', CONVEYOR_AI_MODEL_ID: 'anthropic.claude-3-haiku-20240307-v1:0', CONVEYOR_AI_REGION: 'eu-central-1', CONVEYOR_AI_ANALYSIS: 'on' });
  });
});

describe('CDK: the notification consumer', () => {
  it('may use the job table (notifications, preferences, the e-mail job’s record) and send to job queues, its DLQ and the webhook queue only', () => {
    // Prepare
    const statements = statementsByFunction(plain).get('conveyor-dev-worker-notification')!;
    const table = statements.filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
    const sends = statements.filter((s) => actions(s).includes('sqs:SendMessage'));
    const emailQueue = onlyResource(plain.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-email' });
    const webhookQueue = onlyResource(plain.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-webhooks' });

    // Assess: every job consumer may queue completion webhooks; this one may also send e-mail jobs.
    // PutItem twice: a notification (inbox) and the e-mail job's record (enqueue), each grant with its capability.
    expect([...new Set(table.flatMap(actions))].sort()).toEqual(['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    const ownDlq = onlyResource(plain.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-notification-dlq' });
    const targets = sends.flatMap((s) => [s.Resource].flat());
    // Beyond the webhook queue and its own DLQ (every consumer's), only job queues: the e-mail job it
    // enqueues, and any type a flow's parent may have (every consumer's). No other DLQ.
    const jobQueues = Object.values(plain.service.findResources('AWS::SQS::Queue') as Record<string, { Properties: { QueueName: string } }>)
      .map((queue) => queue.Properties.QueueName)
      .filter((name) => !name.endsWith('-dlq') && name !== 'conveyor-dev-webhooks' && JOB_TYPES.some((type) => name.startsWith(`conveyor-dev-${type}`)))
      .map((name) => onlyResource(plain.service, 'AWS::SQS::Queue', { QueueName: name }));
    const allowed = [webhookQueue, emailQueue, ownDlq, ...jobQueues].map((q) => ({ 'Fn::GetAtt': [q.logicalId, 'Arn'] }));
    expect(targets).toEqual(expect.arrayContaining([allowed[0], allowed[1]]));
    for (const target of targets) expect(allowed).toContainEqual(target);
  });

  it('gets the e-mail queue in CONVEYOR_QUEUE_URLS, among every job queue (a flow\'s parent may be of any type)', () => {
    // Act
    const config = parseConfig(envOf(plain, 'conveyor-dev-worker-notification'));

    // Assess
    expect(Object.keys(config.CONVEYOR_QUEUE_URLS)).toEqual(expect.arrayContaining([...JOB_TYPES]));
    expect(config.CONVEYOR_QUEUE_URLS.email).toMatch(/conveyor-dev-email$/);
  });

  it('may send to the e-mail queue, as the API, the scheduler target, the sweep and every job consumer may (a flow\'s parent) — not the webhook consumer', () => {
    // Prepare
    const emailQueue = onlyResource(plain.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-email' });
    const senders = [...statementsByFunction(plain)]
      .filter(([, statements]) => statements.some((s) => actions(s).includes('sqs:SendMessage') && JSON.stringify(s.Resource).includes(emailQueue.logicalId)))
      .map(([name]) => name)
      .sort();

    // Assess: the API (enqueue), the redrive consumer (SQS asks the caller of StartMessageMoveTask for
    // SendMessage on the move's destination), the scheduler target (delayed and recurring jobs), the
    // recovery sweep (a job whose sender died), and the job consumers: the notification consumer enqueues
    // e-mail, and any consumer sends a flow's parent once the child it ran was the last to end.
    expect(senders).toEqual(['conveyor-dev-api', 'conveyor-dev-redrive', 'conveyor-dev-scheduler-target', 'conveyor-dev-sweep', ...JOB_TYPES.map((type) => `conveyor-dev-worker-${type}`)].sort());
  });
});
