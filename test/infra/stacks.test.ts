import { Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, parseConfig } from '../../shared/config/env.js';
import { TABLE_LAYOUT } from '../../shared/config/table.js';
import { WEBHOOK_RETRY } from '../../shared/domain/retry.js';
import { queueSettingsOf } from '../../shared/jobs/derived.js';
import { isPrioritized, priorityConcurrency, priorityQueueName, queueKey, type Priority } from '../../shared/jobs/priority.js';
import { jobDefinitions } from '../../shared/jobs/registry.js';
import { toEventBridgeCron } from '../../shared/jobs/cron.js';
import { recurringJobs } from '../../shared/jobs/recurring.js';
import { STORED_PAYLOAD_MAX_HOLD_DAYS } from '../../shared/jobs/retention.js';
import { stageSettings } from '../../infra/config/stages.js';
import { onlyResource, resolveForDeploy, synthesizeStage, type SynthesizedStage } from './synth.js';

// Two synths for the whole file: dev with real esbuild bundling (proves synthesis works offline
// with no Docker), prod without bundling (same templates but for asset hashes, much faster).
let dev: SynthesizedStage;
let prod: SynthesizedStage;

beforeAll(() => {
  dev = synthesizeStage('dev', { context: { recurring: 'daily-brief' } });
  prod = synthesizeStage('prod', { bundle: false, context: { alarmEmail: 'ops@acme.test', emailSender: 'jobs@mail.acme-jobs.io', upstashSecretName: 'conveyor/prod/upstash' } });
}, 300_000);

afterAll(() => {
  dev?.cleanup();
  prod?.cleanup();
});

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };

/** Every statement of the role used by the function named `functionName`. */
function statementsOf(stage: SynthesizedStage, functionName: string): Statement[] {
  const fn = onlyResource(stage.service, 'AWS::Lambda::Function', { FunctionName: functionName });
  const roleId = (fn.properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = stage.service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  const role = stage.service.findResources('AWS::IAM::Role')[roleId] as { Properties: { ManagedPolicyArns?: unknown[]; Policies?: unknown[] } };
  expect(role.Properties.ManagedPolicyArns ?? []).toEqual([]);
  expect(role.Properties.Policies ?? []).toEqual([]);
  return Object.values(policies).flatMap((policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement);
}

interface AlarmView {
  readonly name: string;
  readonly metric: string;
  readonly namespace: string;
  readonly dimension: unknown;
  readonly stat: string;
  readonly threshold: number;
  readonly comparison: string;
  readonly actions: unknown;
  readonly expression: string | undefined;
}

/** Alarms as (metric, first dimension, threshold): cdk-monitoring-constructs writes them as metric queries. */
function alarmsOf(stage: SynthesizedStage): AlarmView[] {
  return Object.values(stage.service.findResources('AWS::CloudWatch::Alarm')).map((resource) => {
    const p = (resource as { Properties: Record<string, unknown> }).Properties;
    type Query = { Expression?: string; ReturnData?: boolean; MetricStat?: { Metric: { MetricName: string; Namespace: string; Dimensions?: { Value: unknown }[] }; Stat: string } };
    // A plain metric's alarm carries it inline; the library's alarms use metric queries (the first
    // metric of a math expression stands for it here).
    const queries = p.Metrics as Query[] | undefined;
    const stat = queries
      ? queries.find((q) => q.MetricStat)!.MetricStat!
      : { Metric: { MetricName: String(p.MetricName), Namespace: String(p.Namespace), Dimensions: p.Dimensions as { Value: unknown }[] }, Stat: String(p.Statistic) };
    return {
      name: String(p.AlarmName),
      metric: stat.Metric.MetricName,
      namespace: stat.Metric.Namespace,
      dimension: stat.Metric.Dimensions?.[0]?.Value,
      stat: stat.Stat,
      threshold: Number(p.Threshold),
      comparison: String(p.ComparisonOperator),
      actions: p.AlarmActions,
      expression: queries?.find((q) => q.Expression && q.ReturnData !== false)?.Expression,
    };
  });
}

/** A type's lanes as the CDK should build them: [priority, queue name, event source maxConcurrency]. */
function expectedLanes(stage: string, definition: (typeof jobDefinitions)[number]): [Priority, string, number][] {
  if (!isPrioritized(definition)) return [['normal', `conveyor-${stage}-${definition.type}`, definition.settings.maxConcurrency]];
  const concurrency = priorityConcurrency(definition);
  // Normal first, as JobWorker builds them (the normal lane is the type's queue).
  return (['normal', 'high', 'low'] as const).map((p) => [p, priorityQueueName(stage, definition.type, p), concurrency[p]]);
}

function envOf(stage: SynthesizedStage, functionName: string): Record<string, string> {
  const fn = onlyResource(stage.service, 'AWS::Lambda::Function', { FunctionName: functionName });
  return resolveForDeploy((fn.properties.Environment as { Variables: unknown }).Variables, stage.service) as Record<string, string>;
}

function actionsOf(statements: Statement[]): string[] {
  return [...new Set(statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])))].sort();
}

describe('CDK: stacks per stage', () => {
  it('names the stacks Conveyor-<stage>-… and protects prod from deletion', () => {
    // Assess
    expect([dev.stacks.data.stackName, dev.stacks.service.stackName]).toEqual(['Conveyor-dev-Data', 'Conveyor-dev-Service']);
    expect([prod.stacks.data.stackName, prod.stacks.service.stackName]).toEqual(['Conveyor-prod-Data', 'Conveyor-prod-Service']);
    expect(prod.stacks.data.terminationProtection).toBe(true);
    expect(dev.stacks.data.terminationProtection).toBe(false);
  });

  it('rejects a stage name that cannot become resource names, and gives unknown stages the dev preset', () => {
    // Act / Assess
    expect(() => stageSettings('Prod_EU')).toThrow(/stage "Prod_EU"/);
    expect(() => stageSettings('dev', { emailSender: 'not-an-address' })).toThrow(/emailSender/);
    const preview = stageSettings('pr-42');
    expect(preview.retainData).toBe(false);
    // Upstash is opt-in: without a secret name the stage runs with rate limits off.
    expect(preview.upstashSecretName).toBeUndefined();
    expect(stageSettings('pr-42', { upstashSecretName: 'conveyor/pr-42/upstash' }).upstashSecretName).toBe('conveyor/pr-42/upstash');
  });
});

describe.each(jobDefinitions.map((definition) => [definition.type, definition] as const))('CDK: JobWorker for "%s"', (type, definition) => {
  const { settings } = definition;

  it('has a queue per priority lane whose settings follow the definition, all redriving to one DLQ that outlives them', () => {
    // Prepare
    const lanes = expectedLanes('dev', definition).map(([, name]) => onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name }));
    const dlq = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: `conveyor-dev-${type}-dlq` });

    // Assess
    expect(lanes).toHaveLength(isPrioritized(definition) ? 3 : 1);
    expect(queueSettingsOf(definition).maxReceiveCount).toBe(10 * settings.maxAttempts);
    for (const queue of lanes) {
      // AWS's advice: six times the function timeout plus the batching window.
      expect(queue.properties.VisibilityTimeout).toBe(6 * settings.timeoutSeconds + settings.batchingWindowSeconds);
      // Redrive only as the safety net derived.ts sets (10 receives per attempt): attempts are counted on
      // the record and the worker hands a DEAD job's message to the DLQ itself.
      expect(queue.properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: queueSettingsOf(definition).maxReceiveCount });
      expect(dlq.properties.MessageRetentionPeriod as number).toBeGreaterThan(queue.properties.MessageRetentionPeriod as number);
      expect(queue.properties.SqsManagedSseEnabled).toBe(true);
    }
    expect(dlq.properties.MessageRetentionPeriod).toBe(14 * 86_400);
    expect(dlq.properties.SqsManagedSseEnabled).toBe(true);
  });

  it('refuses plain-HTTP access to both queues', () => {
    // Prepare
    const ids = [...expectedLanes('dev', definition).map(([, name]) => name), `conveyor-dev-${type}-dlq`].map((name) => onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name }).logicalId);

    // Assess
    for (const id of ids) {
      dev.service.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
      });
    }
  });

  it('has a Node 24 arm64 consumer with the definition’s timeout and memory, and an environment parseConfig accepts', () => {
    // Prepare
    const fn = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: `conveyor-dev-worker-${type}` });
    const environment = resolveForDeploy((fn.properties.Environment as { Variables: Record<string, unknown> }).Variables, dev.service) as Record<string, string>;

    // Act
    const config = parseConfig(environment);

    // Assess
    expect(fn.properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: settings.timeoutSeconds, MemorySize: settings.memoryMb });
    expect(config.CONVEYOR_STAGE).toBe('dev');
    expect(config.CONVEYOR_JOB_TYPE).toBe(type);
    expect(config.CONVEYOR_TABLE_NAME).toBe('conveyor-dev-jobs');
    // Every job type's lanes: its own (a retry's visibility and a throttled re-send act on the lane a
    // message came from), those of the types it enqueues, and any type a flow's parent may have (the
    // last child's consumer sends it).
    const lanes = jobDefinitions.flatMap((d) => expectedLanes('dev', d).map(([p, name]) => [queueKey(d.type, p), `https://sqs.eu-west-1.amazonaws.com/123456789012/${name}`]));
    expect(config.CONVEYOR_QUEUE_URLS).toEqual(Object.fromEntries(lanes));
  });

  it('reads each lane through its own event source: the registry’s batch settings, partial batch responses, the lane’s maxConcurrency', () => {
    // Prepare
    const fn = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: `conveyor-dev-worker-${type}` });
    const lanes = expectedLanes('dev', definition);

    // Act
    const mappings = Object.values(dev.service.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: fn.logicalId } } })) as { Properties: Record<string, unknown> }[];

    // Assess
    expect(mappings).toHaveLength(lanes.length);
    for (const [, name, maxConcurrency] of lanes) {
      const queue = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name });
      const mapping = onlyResource(dev.service, 'AWS::Lambda::EventSourceMapping', { EventSourceArn: { 'Fn::GetAtt': [queue.logicalId, 'Arn'] } });
      expect(mapping.properties).toMatchObject({
        FunctionName: { Ref: fn.logicalId },
        BatchSize: settings.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: maxConcurrency },
      });
      expect(mapping.properties.MaximumBatchingWindowInSeconds).toBe(settings.batchingWindowSeconds > 0 ? settings.batchingWindowSeconds : undefined);
      // AWS's floor for an SQS event source's maxConcurrency.
      expect(maxConcurrency).toBeGreaterThanOrEqual(2);
    }
    // No reserved concurrency: below the lanes' sum it would throttle batches and burn receives.
    expect(fn.properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('has its alarms: each new DLQ message, oldest message age on every lane, consumer errors and throttles; Critical to the alarm topic, Warning to the warnings topic', () => {
    // Prepare
    const dlq = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: `conveyor-dev-${type}-dlq` });
    const lanes = expectedLanes('dev', definition).map(([, name]) => onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name }));
    const fn = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: `conveyor-dev-worker-${type}` });
    const topic = onlyResource(dev.service, 'AWS::SNS::Topic', { TopicName: 'conveyor-dev-alarms' });
    const warnings = onlyResource(dev.service, 'AWS::SNS::Topic', { TopicName: 'conveyor-dev-warnings' });

    // Act
    const alarms = alarmsOf(dev);
    const on = (metric: string, dimension: unknown) => alarms.filter((a) => a.metric === metric && JSON.stringify(a.dimension) === JSON.stringify(dimension));

    // Assess
    expect(on('ApproximateNumberOfMessagesVisible', { 'Fn::GetAtt': [dlq.logicalId, 'QueueName'] })).toMatchObject([
      { threshold: 0, comparison: 'GreaterThanThreshold', expression: 'DIFF(FILL(visible, 0))', name: `Conveyor-dev-${type}-queue-dlq-Arrivals-Critical` },
    ]);
    for (const queue of lanes) {
      expect(on('ApproximateAgeOfOldestMessage', { 'Fn::GetAtt': [queue.logicalId, 'QueueName'] }).map((a) => a.threshold).sort((a, b) => a - b)).toEqual([900, 3_600]);
    }
    expect(on('Errors', { Ref: fn.logicalId })).toHaveLength(1);
    expect(on('Throttles', { Ref: fn.logicalId })).toHaveLength(1);
    for (const alarm of alarms) expect(alarm.actions, alarm.name).toEqual([{ Ref: (alarm.name.endsWith('-Critical') ? topic : warnings).logicalId }]);
  });
});

describe('CDK: function environments', () => {
  it('sets only variables the code parses (a misspelt name would silently leave a setting unset)', () => {
    for (const stage of [dev, prod]) {
      // Prepare
      const functions = Object.values(stage.service.findResources('AWS::Lambda::Function')) as { Properties: { Environment?: { Variables?: Record<string, unknown> } } }[];

      // Act
      const names = new Set(functions.flatMap((fn) => Object.keys(fn.Properties.Environment?.Variables ?? {})));
      const unknown = [...names].filter((name) => name !== 'NODE_OPTIONS' && !CONFIG_VARIABLES.includes(name));

      // Assess
      expect(names.size).toBeGreaterThan(3);
      expect(unknown).toEqual([]);
    }
  });
});

describe('CDK: least privilege', () => {
  it('lets the analysis consumer read only its own lanes, queue webhooks, update jobs and use job data — no e-mail, no documents, no secret', () => {
    // Act
    const statements = statementsOf(dev, 'conveyor-dev-worker-analysis');
    const arnOf = (name: string) => ({ 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name }).logicalId, 'Arn'] });

    // Assess
    // No PutItem: a DEAD job is listed by its own DEAD write (an UpdateItem), not by a second item.
    expect(actionsOf(statements)).toEqual([
      'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem',
      'logs:CreateLogStream', 'logs:PutLogEvents',
      's3:GetObject', 's3:PutObject',
      'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage',
    ]);
    // S3 only on the job-data bucket (payloads in, results out), never on the documents.
    expect(JSON.stringify(statements.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:'))).map((s) => s.Resource))).not.toContain('-docs-');
    // One statement per event source, each on its own lane.
    const receives = statements.filter((s) => actionsOf([s]).includes('sqs:ReceiveMessage')).map((s) => s.Resource);
    expect(receives).toEqual(expect.arrayContaining(['conveyor-dev-analysis', 'conveyor-dev-analysis-high', 'conveyor-dev-analysis-low'].map(arnOf)));
    expect(receives).toHaveLength(3);
    // SendMessage: its DLQ (a DEAD job's message), the webhook queue, and every job queue (a flow's
    // parent, sent by its last child's consumer) — no other DLQ; analysis has no provider limit, so no re-send.
    const sends = statements.filter((s) => actionsOf([s]).includes('sqs:SendMessage')).map((s) => s.Resource);
    const jobQueues = jobDefinitions.flatMap((d) => expectedLanes('dev', d).map(([, name]) => arnOf(name)));
    expect(sends).toEqual(expect.arrayContaining([arnOf('conveyor-dev-analysis-dlq'), arnOf('conveyor-dev-webhooks'), jobQueues]));
    expect(sends).toHaveLength(3);
  });

  it('lets the email consumer send only from the configured SES identity, and the pdf consumer only use the bucket', () => {
    // Act
    const email = statementsOf(prod, 'conveyor-prod-worker-email');
    const pdf = statementsOf(prod, 'conveyor-prod-worker-pdf');

    // Assess
    const send = email.find((s) => actionsOf([s]).includes('ses:SendEmail'));
    expect(JSON.stringify(send?.Resource)).toContain(':identity/*');
    // S3 for e-mail jobs only on the job data (large payloads and results), never on the documents.
    expect(JSON.stringify(email.filter((s) => actionsOf([s]).some((a) => a.startsWith('s3:'))).map((s) => s.Resource))).not.toContain('-docs-');
    expect(actionsOf(pdf).filter((a) => a.startsWith('ses:'))).toEqual([]);
    const objects = pdf.find((s) => actionsOf([s]).includes('s3:PutObject') && JSON.stringify(s.Resource).includes('-docs-'));
    expect(actionsOf([objects!])).toEqual(['s3:GetObject', 's3:PutObject']);
    expect(JSON.stringify(objects?.Resource)).toContain('conveyor-prod-docs-');
  });

  it('lets the API use the table, the dead-letter index, the job queues, the DLQs\' depths, the redrive queue (a task\'s first nudge) and the webhooks DLQ\'s move; the authorizer only read keys', () => {
    // Prepare
    const table = 'conveyor-dev-jobs';
    const queueArns = jobDefinitions.flatMap((d) => expectedLanes('dev', d).map(([, name]) => ({ 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name }).logicalId, 'Arn'] })));
    const dlqArns = jobDefinitions.map((d) => ({ 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: `conveyor-dev-${d.type}-dlq` }).logicalId, 'Arn'] }));

    // Act
    const api = statementsOf(dev, 'conveyor-dev-api');
    const authorizer = statementsOf(dev, 'conveyor-dev-authorizer');
    const on = (action: string) => api.filter((s) => actionsOf([s]).includes(action)).map((s) => s.Resource);

    // Assess
    expect(actionsOf(api)).toEqual([
      'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem',
      'iam:PassRole',
      'lambda:UpdateEventSourceMapping',
      'logs:CreateLogStream', 'logs:PutLogEvents',
      's3:DeleteObject', 's3:GetObject', 's3:PutObject',
      'scheduler:CreateSchedule',
      'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ListMessageMoveTasks', 'sqs:ReceiveMessage', 'sqs:SendMessage', 'sqs:StartMessageMoveTask',
    ]);
    expect(JSON.stringify(on('dynamodb:PutItem'))).toContain(`:table/${table}`);
    // Listing queries the table's own partitions; the DLQ listing the sparse deadLetters index, no other.
    expect(JSON.stringify(on('dynamodb:Query'))).toContain(`:table/${table}`);
    expect(JSON.stringify(on('dynamodb:Query')).match(/\/index\/[A-Za-z]+/g)).toEqual(['/index/deadLetters']);
    // Every lane of every type (enqueue, depths), the webhook queue (a cancel's webhook), the redrive queue.
    const webhookQueue = { 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-webhooks' }).logicalId, 'Arn'] };
    const redriveQueue = { 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-redrive' }).logicalId, 'Arn'] };
    const webhookDlq = { 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-webhooks-dlq' }).logicalId, 'Arn'] };
    // The webhook queue: SendMessage twice (a cancel's webhook; the webhooks redrive's destination, with its depths).
    expect(on('sqs:SendMessage')).toEqual([queueArns, webhookQueue, webhookQueue, redriveQueue]);
    // A job DLQ's move is the redrive consumer's; the API moves only the webhooks DLQ.
    expect(on('sqs:StartMessageMoveTask')).toEqual([webhookDlq]);
    expect(on('sqs:ReceiveMessage')).toEqual([webhookDlq]);
    expect(on('sqs:GetQueueUrl')).toEqual([dlqArns, webhookDlq]);
    expect(actionsOf(authorizer)).toEqual(['dynamodb:GetItem', 'logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('lets the API pause and resume exactly the job types’ event source mappings (every lane), named in its environment', () => {
    // Prepare: the mappings of the job consumers, by type; the webhook and redrive consumers' are not among them.
    const mappings = Object.entries(dev.service.findResources('AWS::Lambda::EventSourceMapping')) as [string, { Properties: { FunctionName: { Ref: string } } }][];
    const workerOf = (type: string) => onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: `conveyor-dev-worker-${type}` }).logicalId;
    const byType = Object.fromEntries(jobDefinitions.map((d) => [d.type, mappings.filter(([, m]) => m.Properties.FunctionName.Ref === workerOf(d.type)).map(([id]) => id)]));
    const arnOf = (id: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':event-source-mapping:', { Ref: id }]] });

    // Act
    const api = statementsOf(dev, 'conveyor-dev-api');
    const pause = api.filter((s) => actionsOf([s]).includes('lambda:UpdateEventSourceMapping'));
    const environment = parseConfig(envOf(dev, 'conveyor-dev-api'));

    // Assess: one lane per priority, each with its mapping; nothing else is granted on Lambda.
    for (const d of jobDefinitions) expect(byType[d.type], d.type).toHaveLength(expectedLanes('dev', d).length);
    expect(mappings.length).toBe(Object.values(byType).flat().length + 2);
    expect(pause).toHaveLength(1);
    expect(actionsOf(pause)).toEqual(['lambda:UpdateEventSourceMapping']);
    expect(new Set([pause[0]!.Resource].flat().map((r) => JSON.stringify(r)))).toEqual(new Set(Object.values(byType).flat().map((id) => JSON.stringify(arnOf(id)))));
    expect(actionsOf(api).filter((a) => a.startsWith('lambda:'))).toEqual(['lambda:UpdateEventSourceMapping']);
    for (const name of [...jobDefinitions.map((d) => `conveyor-dev-worker-${d.type}`), 'conveyor-dev-webhooks', 'conveyor-dev-redrive', 'conveyor-dev-authorizer']) {
      expect(actionsOf(statementsOf(dev, name)).filter((a) => a === 'lambda:UpdateEventSourceMapping'), name).toEqual([]);
    }
    const named = Object.entries(environment.CONVEYOR_EVENT_SOURCE_MAPPINGS ?? {}).map(([type, uuids]) => [type, [...uuids].sort()]);
    expect(Object.fromEntries(named)).toEqual(Object.fromEntries(Object.entries(byType).map(([type, ids]) => [type, ids.map((id) => `ref-${id}`).sort()])));
  });

  it('has no statement on every resource ("*") and no wildcard action in any policy', () => {
    // Prepare
    const policies = Object.values(dev.service.findResources('AWS::IAM::Policy')) as { Properties: { PolicyDocument: { Statement: Statement[] } } }[];
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);

    // Assess
    expect(statements.length).toBeGreaterThan(10);
    for (const statement of statements) {
      expect([statement.Resource].flat()).not.toContain('*');
      for (const action of actionsOf([statement])) expect(action).not.toMatch(/\*/);
    }
  });

  it('gives exactly the functions that rate-limit the Upstash secret’s name and GetSecretValue on that secret, never the token', () => {
    // Prepare
    const functions = Object.values(prod.service.findResources('AWS::Lambda::Function')) as { Properties: { FunctionName: string; Environment?: { Variables: Record<string, unknown> } } }[];
    const secretArn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:conveyor/prod/upstash-??????']] };

    // Act
    const withSecret = functions.filter((fn) => fn.Properties.Environment?.Variables.CONVEYOR_UPSTASH_SECRET !== undefined).map((fn) => fn.Properties.FunctionName).sort();
    // The webhook consumer reads a secret too — its signing key, tested with the webhooks.
    const readers = functions
      .map((fn) => fn.Properties.FunctionName)
      .filter((name) => name !== 'conveyor-prod-webhooks' && actionsOf(statementsOf(prod, name)).some((a) => a.startsWith('secretsmanager:')))
      .sort();

    // Assess: the API (per-tenant enqueue limits), the e-mail consumer (SES's sending rate), the ai consumer (chat replies per tenant).
    expect(withSecret).toEqual(['conveyor-prod-api', 'conveyor-prod-worker-ai', 'conveyor-prod-worker-email']);
    expect(readers).toEqual(withSecret);
    for (const name of withSecret) {
      const fn = functions.find((f) => f.Properties.FunctionName === name)!;
      expect(fn.Properties.Environment?.Variables.CONVEYOR_UPSTASH_SECRET).toBe('conveyor/prod/upstash');
      const reads = statementsOf(prod, name).filter((s) => actionsOf([s]).some((a) => a.startsWith('secretsmanager:')));
      expect(reads).toEqual([{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: secretArn }]);
    }
    for (const fn of functions) expect(JSON.stringify(fn.Properties.Environment ?? {})).not.toMatch(/token|UPSTASH_REDIS_REST/i);
  });

  it('without an Upstash secret (no -c upstashSecretName) gives no function the variable, a secret read or the re-send', () => {
    // Prepare
    const functions = Object.values(dev.service.findResources('AWS::Lambda::Function')) as { Properties: { FunctionName: string; Environment?: { Variables: Record<string, unknown> } } }[];

    // Act
    const withVariable = functions.filter((fn) => fn.Properties.Environment?.Variables.CONVEYOR_UPSTASH_SECRET !== undefined);
    const emailActions = actionsOf(statementsOf(dev, 'conveyor-dev-worker-email'));

    // Assess: Upstash is not configured, so limits are off (the start-up log says so) and nothing fails.
    expect(functions.length).toBeGreaterThan(5);
    expect(withVariable).toEqual([]);
    expect(actionsOf(statementsOf(dev, 'conveyor-dev-api'))).not.toContain('secretsmanager:GetSecretValue');
    expect(emailActions).not.toContain('secretsmanager:GetSecretValue');
    // No re-send grant: its SendMessage goes to its DLQ, the webhook queue and the job queues a flow's
    // parent may be on, each one statement (with Upstash a fourth, its own lanes, is the re-send's).
    const sends = statementsOf(dev, 'conveyor-dev-worker-email').filter((st) => actionsOf([st]).includes('sqs:SendMessage'));
    expect(sends).toHaveLength(3);
  });

  it('gives the e-mail consumer exactly what it calls: job items, its queue, SES, the webhook queue, the Upstash secret, job data', () => {
    // Act
    const actions = actionsOf(statementsOf(prod, 'conveyor-prod-worker-email'));

    // Assess
    expect(actions).toEqual([
      'dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem',
      'logs:CreateLogStream', 'logs:PutLogEvents',
      's3:GetObject', 's3:PutObject',
      'secretsmanager:GetSecretValue',
      'ses:SendEmail',
      'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage',
      // prod traces (test/infra/tracing.test.ts)
      'xray:PutTelemetryRecords', 'xray:PutTraceSegments',
    ]);
  });

  it('lets the e-mail consumer re-send a throttled job to its own queue only', () => {
    // Prepare
    const arnOf = (name: string) => ({ 'Fn::GetAtt': [onlyResource(prod.service, 'AWS::SQS::Queue', { QueueName: name }).logicalId, 'Arn'] });

    // Act
    const sends = statementsOf(prod, 'conveyor-prod-worker-email').filter((s) => actionsOf([s]).includes('sqs:SendMessage'));

    // Assess: its lane(s) for the requeue, its DLQ for a DEAD job's message, the webhook queue for completion
    // webhooks, and every job queue for a flow's parent.
    expect(sends.map((s) => s.Resource)).toEqual(expect.arrayContaining([arnOf('conveyor-prod-email'), arnOf('conveyor-prod-email-dlq'), arnOf('conveyor-prod-webhooks')]));
    expect(sends).toHaveLength(4);
  });

  it.each(jobDefinitions.map((d) => d.type))('lets the %s consumer hand a DEAD job\'s message to its own DLQ, and to no other', (type) => {
    // Prepare
    const dlqArns = Object.fromEntries(jobDefinitions.map((d) => [d.type, { 'Fn::GetAtt': [onlyResource(prod.service, 'AWS::SQS::Queue', { QueueName: `conveyor-prod-${d.type}-dlq` }).logicalId, 'Arn'] }]));

    // Act
    const sentTo = statementsOf(prod, `conveyor-prod-worker-${type}`).filter((s) => actionsOf([s]).includes('sqs:SendMessage')).flatMap((s) => [s.Resource].flat());

    // Assess
    expect(sentTo).toContainEqual(dlqArns[type]);
    for (const [other, arn] of Object.entries(dlqArns)) if (other !== type) expect(sentTo).not.toContainEqual(arn);
  });
});

describe('CDK: data', () => {
  it('lays the table out as shared/config/table.ts says, on demand with TTL and only the two sparse indexes', () => {
    // Act
    const table = onlyResource(dev.data, 'AWS::DynamoDB::Table');

    // Assess
    expect(table.properties).toMatchObject({
      TableName: 'conveyor-dev-jobs',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: TABLE_LAYOUT.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_LAYOUT.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TABLE_LAYOUT.ttlAttribute, Enabled: true },
    });
    // Every write to an index is billed again: a per-job index would double the write bill. These two
    // hold only the jobs that carry their key (dead ones; ones the sweep must look at), keys and one number.
    expect(table.properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: 'deadLetters',
        KeySchema: [{ AttributeName: 'deadLetterType', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['deadLetterUntil'] },
      },
      {
        IndexName: 'sweep',
        KeySchema: [{ AttributeName: 'sweepShard', KeyType: 'HASH' }, { AttributeName: 'sweepAt', KeyType: 'RANGE' }],
        Projection: { ProjectionType: 'KEYS_ONLY' },
      },
    ]);
  });

  it('retains prod data with point-in-time recovery, and lets dev data go', () => {
    // Act
    const prodTable = onlyResource(prod.data, 'AWS::DynamoDB::Table');
    const devTable = onlyResource(dev.data, 'AWS::DynamoDB::Table');
    const buckets = (stage: SynthesizedStage) => Object.values(stage.data.findResources('AWS::S3::Bucket')) as { DeletionPolicy?: string }[];

    // Assess
    expect(prodTable.deletionPolicy).toBe('RetainExceptOnCreate');
    expect(prodTable.properties).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
    expect(devTable.deletionPolicy).toBe('Delete');
    expect(devTable.properties).toMatchObject({ PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false } });
    // Both buckets: the documents and the job data.
    expect(buckets(prod).map((b) => b.DeletionPolicy)).toEqual(['RetainExceptOnCreate', 'RetainExceptOnCreate']);
    expect(buckets(dev).map((b) => b.DeletionPolicy)).toEqual(['Delete', 'Delete']);
  });

  it('keeps documents private, encrypted and expiring', () => {
    // Assess
    prod.data.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })]) },
    });
    prod.data.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
  });

  it('expires job data (payloads and results stored apart) with the longest job retention plus hold and redrive time, and keeps it private', () => {
    // Prepare: the longest any record naming an object can live, from when the object was written
    const retention = Math.max(...jobDefinitions.flatMap((d) => [d.settings.retentionDays.succeeded, d.settings.retentionDays.failed, d.settings.retentionDays.dead ?? 0, d.settings.retentionDays.cancelled ?? 0]));
    const expected = STORED_PAYLOAD_MAX_HOLD_DAYS + 14 + retention + 1;

    // Act
    const buckets = prod.data.findResources('AWS::S3::Bucket', { Properties: { BucketName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['conveyor-prod-jobdata-'])]) }) } });

    // Assess: one bucket, one whole-bucket expiry rule of that many days, no public access
    expect(Object.keys(buckets)).toHaveLength(1);
    const bucket = Object.values(buckets)[0] as { Properties: { LifecycleConfiguration: { Rules: { Id: string; ExpirationInDays?: number; Prefix?: unknown; TagFilters?: unknown; Status: string }[] } } };
    const expiry = bucket.Properties.LifecycleConfiguration.Rules.find((rule) => rule.Id === 'expire-job-data');
    expect(expiry).toEqual({ Id: 'expire-job-data', ExpirationInDays: expected, Status: 'Enabled' });
    expect(expected).toBe(52);
    expect(bucket.Properties).toMatchObject({ PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true } });
  });

  it('gives the API and every consumer the job-data bucket, each granted only its kind of object', () => {
    const jobData = (stage: SynthesizedStage, name: string) => (onlyResource(stage.service, 'AWS::Lambda::Function', { FunctionName: name }).properties.Environment as { Variables: Record<string, unknown> }).Variables.CONVEYOR_JOB_DATA_BUCKET;
    const s3 = (name: string) => statementsOf(prod, name).filter((st) => [st.Action].flat().some((a) => a.startsWith('s3:')) && JSON.stringify(st.Resource).includes('jobdata'));
    const objects = (kind: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::conveyor-prod-jobdata-', { Ref: 'AWS::AccountId' }, '-', { Ref: 'AWS::Region' }, `/tenants/*/jobs/*/${kind}`]] });

    // Assess: the API writes and deletes payloads, reads payloads and results (to sign them)
    expect(jobData(prod, 'conveyor-prod-api')).toBeDefined();
    expect(s3('conveyor-prod-api')).toEqual([
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:DeleteObject'], Resource: objects('payload-*') },
      { Effect: 'Allow', Action: 's3:GetObject', Resource: objects('*') },
    ]);
    // … and each consumer reads payloads and writes results, whatever its job type
    for (const definition of jobDefinitions) {
      const name = `conveyor-prod-worker-${definition.type}`;
      expect(jobData(prod, name), name).toBeDefined();
      expect(s3(name), name).toEqual([
        { Effect: 'Allow', Action: 's3:GetObject', Resource: objects('payload-*') },
        { Effect: 'Allow', Action: 's3:PutObject', Resource: objects('result-*') },
      ]);
    }
    // The functions that never see a payload get nothing of it.
    for (const name of ['conveyor-prod-webhook-worker', 'conveyor-prod-authorizer']) {
      const fns = prod.service.findResources('AWS::Lambda::Function', { Properties: { FunctionName: name } });
      for (const fn of Object.values(fns)) expect(JSON.stringify(fn)).not.toContain('jobdata');
    }
  });

  it('declares the SES sender identity from configuration', () => {
    // Assess
    prod.data.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'mail.acme-jobs.io' });
    const email = onlyResource(prod.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-prod-worker-email' });
    expect((email.properties.Environment as { Variables: Record<string, unknown> }).Variables.CONVEYOR_EMAIL_FROM).toBe('jobs@mail.acme-jobs.io');
  });
});

describe('CDK: HTTP API', () => {
  it('gives the API function every queue URL and the authorizer none, both parseable by parseConfig', () => {
    // Prepare
    const envOf = (name: string) =>
      resolveForDeploy((onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: name }).properties.Environment as { Variables: unknown }).Variables, dev.service) as Record<string, string>;

    // Act
    const api = parseConfig(envOf('conveyor-dev-api'));
    const authorizer = parseConfig(envOf('conveyor-dev-authorizer'));

    // Assess
    expect(Object.keys(api.CONVEYOR_QUEUE_URLS).sort()).toEqual(jobDefinitions.flatMap((d) => expectedLanes('dev', d).map(([p]) => queueKey(d.type, p))).sort());
    expect(authorizer.CONVEYOR_QUEUE_URLS).toEqual({});
    expect(authorizer.CONVEYOR_TABLE_NAME).toBe('conveyor-dev-jobs');
  });

  it('puts the API key authorizer on every route but the two health checks', () => {
    // Prepare
    const authorizer = onlyResource(dev.service, 'AWS::ApiGatewayV2::Authorizer');

    // Assess
    expect(authorizer.properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      IdentitySource: ['$request.header.Authorization'],
      AuthorizerResultTtlInSeconds: 60,
    });
    dev.service.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default', AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: authorizer.logicalId } });
    dev.service.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /v1/health', AuthorizationType: 'NONE' });
    dev.service.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'GET /queue/health', AuthorizationType: 'NONE' });
    dev.service.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
  });

  it('throttles per stage and writes JSON access logs', () => {
    // Act
    const devStage = onlyResource(dev.service, 'AWS::ApiGatewayV2::Stage');
    const prodStage = onlyResource(prod.service, 'AWS::ApiGatewayV2::Stage');

    // Assess
    expect(devStage.properties).toMatchObject({ StageName: '$default', AutoDeploy: true, DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 } });
    expect(prodStage.properties).toMatchObject({ DefaultRouteSettings: { ThrottlingRateLimit: 1_000, ThrottlingBurstLimit: 2_000 } });
    const format = JSON.parse((devStage.properties.AccessLogSettings as { Format: string }).Format) as Record<string, string>;
    expect(format).toMatchObject({ requestId: '$context.requestId', status: '$context.status', tenant: '$context.authorizer.tenant' });
  });

  it('alarms on the API 5xx rate and p99 latency', () => {
    // Assess
    // Prepare
    const api = onlyResource(dev.service, 'AWS::ApiGatewayV2::Api');

    // Act
    const apiAlarms = alarmsOf(dev).filter((a) => a.namespace === 'AWS/ApiGateway');

    // Assess
    expect(apiAlarms.map(({ metric, stat, threshold, dimension }) => ({ metric, stat, threshold, dimension })).sort((a, b) => a.metric.localeCompare(b.metric))).toEqual([
      // The average of the 0-or-1 `5xx` metric: the share of requests answered 5xx (5 % in dev).
      { metric: '5xx', stat: 'Average', threshold: 0.05, dimension: { Ref: api.logicalId } },
      { metric: 'Latency', stat: 'p99', threshold: 2_000, dimension: { Ref: api.logicalId } },
    ]);
    expect(alarmsOf(prod).find((a) => a.metric === 'Latency')?.threshold).toBe(1_000);
  });
});

describe('CDK: delayed and recurring jobs (EventBridge Scheduler) in the stage', () => {
  it('has the schedule group, one cron schedule per recurring job the stage opted into, in its time zone, and the scheduler target', () => {
    // Act
    const group = onlyResource(dev.service, 'AWS::Scheduler::ScheduleGroup');
    const target = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-scheduler-target' });
    const schedules = Object.values(dev.service.findResources('AWS::Scheduler::Schedule')) as { Properties: Record<string, unknown> }[];

    // Assess
    expect(group.properties.Name).toBe('conveyor-dev-jobs');
    expect(schedules).toHaveLength(recurringJobs.length);
    for (const definition of recurringJobs) {
      expect(onlyResource(dev.service, 'AWS::Scheduler::Schedule', { Name: `conveyor-dev-${definition.name}` }).properties).toMatchObject({
        GroupName: 'conveyor-dev-jobs',
        ScheduleExpression: toEventBridgeCron(definition.cron),
        ScheduleExpressionTimezone: definition.timeZone,
        Target: { Arn: { 'Fn::GetAtt': [target.logicalId, 'Arn'] } },
      });
    }
    expect(target.properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'] });
  });

  it('gives the target every job queue and the API the release settings (with the schedules\' DLQ), all parseable', () => {
    // Act
    const target = parseConfig(envOf(dev, 'conveyor-dev-scheduler-target'));
    const api = parseConfig(envOf(dev, 'conveyor-dev-api'));

    // Assess
    expect(Object.keys(target.CONVEYOR_QUEUE_URLS).sort()).toEqual(Object.keys(api.CONVEYOR_QUEUE_URLS).sort());
    expect(api.CONVEYOR_SCHEDULE_GROUP).toBe('conveyor-dev-jobs');
    expect(api.CONVEYOR_RELEASE_FUNCTION_ARN).toBe('arn:aws:lambda:eu-west-1:123456789012:function:conveyor-dev-scheduler-target');
    expect(api.CONVEYOR_SCHEDULER_ROLE_ARN).toMatch(/^arn:aws:iam::123456789012:role\/.*SchedulerRole/);
    expect(api.CONVEYOR_SCHEDULE_DLQ_ARN).toBe('arn:aws:sqs:eu-west-1:123456789012:conveyor-dev-schedule-dlq');
  });

  it('lets the target read and write job items, send to the job queues and hand a failed event to its failure queue, nothing else', () => {
    // Prepare
    const queueArns = jobDefinitions.flatMap((d) => expectedLanes('dev', d).map(([, name]) => ({ 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name }).logicalId, 'Arn'] })));
    const failures = { 'Fn::GetAtt': [onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-scheduler-target-failures' }).logicalId, 'Arn'] };

    // Act
    const statements = statementsOf(dev, 'conveyor-dev-scheduler-target');
    const sends = statements.filter((s) => actionsOf([s]).includes('sqs:SendMessage'));

    // Assess: Lambda sends the failure record with the function's role: SendMessage on that queue, nothing more
    expect(actionsOf(statements)).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage']);
    expect(sends.map((s) => s.Resource)).toEqual(expect.arrayContaining([queueArns, failures]));
    expect(sends).toHaveLength(2);
  });

  it('lets the API create schedules in the group only and pass the scheduler role only to the scheduler', () => {
    // Prepare
    const role = onlyResource(dev.service, 'AWS::IAM::Role', { AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] } });

    // Act
    const api = statementsOf(dev, 'conveyor-dev-api');

    // Assess
    expect(api.filter((s) => actionsOf([s]).includes('scheduler:CreateSchedule'))).toEqual([
      { Effect: 'Allow', Action: 'scheduler:CreateSchedule', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':schedule/conveyor-dev-jobs/*']] } },
    ]);
    expect(api.filter((s) => actionsOf([s]).includes('iam:PassRole'))).toEqual([
      { Effect: 'Allow', Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [role.logicalId, 'Arn'] }, Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } } },
    ]);
  });

  it('alarms on the target’s errors and on any invocation the scheduler dropped', () => {
    // Prepare
    const target = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-scheduler-target' });

    // Act
    const alarms = alarmsOf(dev);

    // Assess
    expect(alarms.filter((a) => a.metric === 'Errors' && JSON.stringify(a.dimension) === JSON.stringify({ Ref: target.logicalId }))).toHaveLength(1);
    expect(alarms.filter((a) => a.namespace === 'AWS/Scheduler')).toMatchObject([{ metric: 'InvocationDroppedCount', dimension: 'conveyor-dev-jobs', threshold: 0, comparison: 'GreaterThanThreshold' }]);
  });
});

describe('CDK: completion webhooks in the stage', () => {
  it('has the delivery queue, its DLQ and the consumer on an event source with partial batch responses', () => {
    // Act
    const queue = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-webhooks' });
    const dlq = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-webhooks-dlq' });
    const fn = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-webhooks' });

    // Assess
    expect(queue.properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: WEBHOOK_RETRY.maxAttempts });
    expect(onlyResource(dev.service, 'AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: fn.logicalId } }).properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [queue.logicalId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(parseConfig(envOf(dev, 'conveyor-dev-webhooks')).CONVEYOR_WEBHOOK_QUEUE_URL).toBe('https://sqs.eu-west-1.amazonaws.com/123456789012/conveyor-dev-webhooks');
  });

  it('gives the API and every job consumer the delivery queue but not the signing key, and nothing to the scheduler target', () => {
    // Prepare
    const raw = (name: string) => (onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: name }).properties.Environment as { Variables: Record<string, unknown> }).Variables;

    // Act / Assess
    for (const name of ['conveyor-dev-api', 'conveyor-dev-webhooks', ...jobDefinitions.map((d) => `conveyor-dev-worker-${d.type}`)]) {
      const config = parseConfig(envOf(dev, name));
      expect(config.CONVEYOR_WEBHOOK_QUEUE_URL, name).toMatch(/\/conveyor-dev-webhooks$/);
      expect(raw(name).CONVEYOR_WEBHOOK_SECRET, name).toBeUndefined();
      // Only the consumer signs, so only it learns where the key is.
      expect(raw(name).CONVEYOR_WEBHOOK_SECRET_ID !== undefined, name).toBe(name === 'conveyor-dev-webhooks');
    }
    expect(raw('conveyor-dev-scheduler-target').CONVEYOR_WEBHOOK_QUEUE_URL).toBeUndefined();
  });

  it("lets the consumer only read and retry its own queue, and record attempts on the job table", () => {
    // Act
    const statements = statementsOf(dev, 'conveyor-dev-webhooks');

    // Assess
    expect(actionsOf(statements)).toEqual([
      'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem',
      'logs:CreateLogStream', 'logs:PutLogEvents', 'secretsmanager:GetSecretValue', 'sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage',
    ]);
    expect(JSON.stringify(statements.filter((s) => actionsOf([s]).includes('dynamodb:UpdateItem')).map((s) => s.Resource))).toContain(':table/conveyor-dev-jobs');
    const secretRead = statements.find((s) => JSON.stringify(s.Action) === JSON.stringify('secretsmanager:GetSecretValue'));
    const secret = onlyResource(dev.service, 'AWS::SecretsManager::Secret', { Name: 'conveyor/dev/webhook-signing-secret' });
    expect(secretRead?.Resource).toEqual({ Ref: secret.logicalId });
  });

  it('warns on each new webhook in the DLQ and alarms on the consumer’s errors', () => {
    // Prepare
    const dlq = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-webhooks-dlq' });
    const fn = onlyResource(dev.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-webhooks' });

    // Act
    const alarms = alarmsOf(dev);

    // Assess
    expect(alarms.filter((a) => a.metric === 'ApproximateNumberOfMessagesVisible' && JSON.stringify(a.dimension) === JSON.stringify({ 'Fn::GetAtt': [dlq.logicalId, 'QueueName'] }))).toMatchObject([
      { threshold: 0, comparison: 'GreaterThanThreshold', expression: 'DIFF(FILL(visible, 0))', name: 'Conveyor-dev-webhooks-queue-dlq-Arrivals-Warning' },
    ]);
    expect(alarms.filter((a) => a.metric === 'Errors' && JSON.stringify(a.dimension) === JSON.stringify({ Ref: fn.logicalId }))).toHaveLength(1);
  });
});

describe('CDK: outputs', () => {
  it('prints what the README’s Deploy section names', () => {
    // Act
    const outputs = Object.keys(dev.service.toJSON().Outputs as Record<string, unknown>);

    // Assess
    expect(outputs).toEqual(expect.arrayContaining(['ApiUrl', 'DashboardUrl', 'AlarmTopicArn', 'WebhookDlqUrl', 'WebhookSigningSecretArn', 'ScheduleGroup']));
    for (const { type } of jobDefinitions) expect(outputs.some((o) => o.startsWith(`DlqUrl${type}`))).toBe(true);
  });
});

describe('CDK: monitoring', () => {
  it('has one dashboard per stage with a row per job type and the API', () => {
    // Act
    const dashboard = onlyResource(dev.service, 'AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard.properties.DashboardBody);

    // Assess
    expect(dashboard.properties.DashboardName).toBe('Conveyor-dev');
    expect(onlyResource(prod.service, 'AWS::CloudWatch::Dashboard').properties.DashboardName).toBe('Conveyor-prod');
    for (const { type } of jobDefinitions) expect(body).toContain(`Job type: ${type}`);
    expect(body).toContain('HTTP API');
    expect(body).toContain('Completion webhooks');
    expect(body).toContain('Delayed and recurring jobs');
    expect(body).toContain('analysis queue (high priority)');
  });

  it('subscribes the alarm e-mail of the stage to the alarm topic', () => {
    // Assess
    prod.service.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@acme.test' });
    dev.service.resourceCountIs('AWS::SNS::Subscription', 0);
  });
});

describe('CDK: cdk-nag AwsSolutions', () => {
  it('reports no error in either stage', () => {
    // Assess: an unacknowledged error would have failed synthesis in beforeAll; the report lists what is left.
    for (const stage of [dev, prod]) {
      const errors = stage.report.pluginReports.flatMap((r) => r.violations).filter((v) => v.severity === 'error');
      expect(errors).toEqual([]);
    }
  });

  it('gives every acknowledged rule a reason', () => {
    // Prepare
    const acknowledgements = [dev, prod].flatMap((stage) =>
      [stage.stacks.data, stage.stacks.service].flatMap((stack) =>
        stack.node.findAll().flatMap((construct) =>
          construct.node.metadata.filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY).flatMap((entry) => Object.entries(entry.data as Record<string, string>)),
        ),
      ),
    );

    // Assess
    expect(acknowledgements.length).toBeGreaterThan(5);
    for (const [rule, reason] of acknowledgements) {
      expect(rule).toMatch(/AwsSolutions-/);
      expect(reason.length, rule).toBeGreaterThan(40);
    }
    // Point-in-time recovery is only waived where it is off.
    expect(acknowledgements.filter(([rule]) => rule.includes('DDB3'))).toHaveLength(1);
  });
});
