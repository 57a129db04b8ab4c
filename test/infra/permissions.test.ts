import { readFileSync } from 'node:fs';
// iam-simulate is AGPL-3.0: a test-only devDependency (it evaluates policies here; nothing of it ships).
import { runSimulation, type Simulation } from '@cloud-copilot/iam-simulate';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lambdaEsbuildOptions } from '../../infra/bundling.js';
import { ConveyorFunction } from '../../infra/constructs/ConveyorFunction.js';
import { isPrioritized } from '../../shared/jobs/priority.js';
import { jobDefinitions, JOB_TYPES } from '../../shared/jobs/registry.js';
import { onlyResource, synthesizeStage, type SynthesizedStage } from './synth.js';

/**
 * Permissions proven offline, both ways. For each function, the AWS actions its code can call are
 * derived from its bundle: the project files esbuild keeps for its entry, and the SDK commands
 * those files construct (`new XCommand(`). Each is evaluated with an IAM policy simulator against
 * the function's synthesized role policy and the resource's own policy (queue, bucket): an action
 * the code needs that is denied fails, and so does an action granted that no code calls.
 */

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

/** SDK package → IAM service prefix. A new client fails here until it is mapped. */
const PREFIX: Readonly<Record<string, string>> = {
  'client-sqs': 'sqs',
  'client-dynamodb': 'dynamodb',
  'lib-dynamodb': 'dynamodb',
  'client-scheduler': 'scheduler',
  'client-secrets-manager': 'secretsmanager',
};
/**
 * S3, Lambda, SES and Bedrock Runtime go through small clients (functions/adapters/aws/
 * s3-object-client.ts, lambda-mappings-client.ts, ses-email-client.ts, bedrock-converse-client.ts)
 * whose methods are their operations: a call `.method(` is the action. A presigned GET is authorised
 * when used, as GetObject by the role that signed it.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-presigned-url.html
 * Bedrock authorises Converse as InvokeModel ("This operation requires permission for the
 * bedrock:InvokeModel action"). https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html
 */
const LIGHT_CLIENT_CALLS: Readonly<Record<string, string>> = {
  putObject: 's3:PutObject',
  getObject: 's3:GetObject',
  presignGetObject: 's3:GetObject',
  deleteObject: 's3:DeleteObject',
  updateEventSourceMapping: 'lambda:UpdateEventSourceMapping',
  sendEmail: 'ses:SendEmail',
  converse: 'bedrock:InvokeModel',
};
/** The document client's commands wrap these DynamoDB actions. */
const DOCUMENT_CLIENT: Readonly<Record<string, string>> = { Get: 'GetItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', Query: 'Query', Scan: 'Scan', BatchWrite: 'BatchWriteItem', BatchGet: 'BatchGetItem' };
/**
 * SQS authorises a batch call as its single action.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-api-permissions-reference.html
 */
const SQS_BATCH: Readonly<Record<string, string>> = { SendMessageBatch: 'SendMessage', DeleteMessageBatch: 'DeleteMessage', ChangeMessageVisibilityBatch: 'ChangeMessageVisibility' };

/** Actions an action needs the caller to hold as well (each with the AWS page that says so). */
const IMPLIED: Readonly<Record<string, readonly string[]>> = {
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
  'sqs:StartMessageMoveTask': ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
  // A schedule names the role the scheduler assumes: creating it passes that role.
  // https://docs.aws.amazon.com/scheduler/latest/UserGuide/setting-up.html
  'scheduler:CreateSchedule': ['iam:PassRole'],
};

/**
 * Used with the function's role by Lambda itself, not by its code: its log stream, and the event
 * source mapping's polling of an SQS queue.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#events-sqs-permissions
 */
const RUNTIME = ['logs:CreateLogStream', 'logs:PutLogEvents'];
const EVENT_SOURCE = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/**
 * With tracing Active, Lambda's X-Ray daemon uploads the segments the function streams to it over
 * UDP, with the function's role: no code of ours calls X-Ray's API.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
 */
const TRACING = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];
/** Granted by CDK's SqsEventSource (grantConsumeMessages) beyond what Lambda polls with. */
const EVENT_SOURCE_EXTRA: Readonly<Record<string, string>> = {
  'sqs:GetQueueUrl': 'CDK’s SqsEventSource grants it with the consume actions; it only reads the queue’s own URL.',
};

/**
 * Commands a bundle carries in an adapter it uses, from a method this function never calls. The
 * derivation is per file, so these are named here, each with why — and each must still be derived
 * (a stale entry fails), and none may be granted.
 */
const BUNDLED_NOT_CALLED: readonly { readonly entry: RegExp; readonly action: string; readonly reason: string }[] = [
  { entry: /\/worker-[\w-]+\.ts$/, action: 's3:DeleteObject', reason: 'Deleting a stored payload (JobData.discardPayload) is the API’s, for an enqueue that did not go through; a consumer never deletes.' },
  { entry: /\/worker-(?!notification\.)[\w-]+\.ts$/, action: 'dynamodb:DeleteItem', reason: 'DynamoJobStore.discard runs in the API (a failed enqueue) and the sweep; a consumer only transitions (the notification consumer enqueues its e-mail job, so it may discard).' },
  { entry: /\/worker-(?!notification\.)[\w-]+\.ts$/, action: 'dynamodb:PutItem', reason: 'DynamoJobStore.create runs in the API (enqueue); a consumer only transitions, and its DEAD write lists the job itself (the notification consumer creates its e-mail job and writes notifications).' },
  { entry: /\/worker-notification\.ts$/, action: 'dynamodb:Query', reason: 'Listing a user’s notifications is the API’s (DynamoNotificationStore.list); the consumer only puts them.' },
  { entry: /\/api\.ts$/, action: 'sqs:ChangeMessageVisibility', reason: 'The API sends jobs and webhooks (SqsJobQueue.send, SqsWebhookQueue.send); it consumes no queue, so it never delays a message.' },
  { entry: /\/scheduler-target\.ts$/, action: 'sqs:ChangeMessageVisibility', reason: 'The scheduler target only sends (SqsJobQueue.send); it consumes no queue.' },
  { entry: /\/sweep\.ts$/, action: 'sqs:ChangeMessageVisibility', reason: 'The recovery sweep only sends (SqsJobQueue.send, SqsWebhookQueue.enqueue); it consumes no queue.' },
  { entry: /\/redrive\.ts$/, action: 'dynamodb:PutItem', reason: 'The API creates redrive tasks (DynamoRedriveTasks.create) and jobs (DynamoJobStore.create); the consumer only reads and conditionally updates them.' },
  { entry: /\/redrive\.ts$/, action: 'dynamodb:DeleteItem', reason: 'The API removes a task whose first nudge was not sent (DynamoRedriveTasks.remove); the consumer never deletes.' },
  { entry: /\/(api|scheduler-target|sweep|redrive)\.ts$/, action: 'dynamodb:BatchGetItem', reason: 'DynamoJobStore.getMany reads a consumer batch’s records at once; the API, the scheduler target, the recovery sweep and the redrive consumer read one job at a time (get).' },
  { entry: /\/webhook-worker\.ts$/, action: 'sqs:SendMessage', reason: 'The webhook consumer only delays a retry (SqsWebhookQueue.changeVisibility); sending a delivery is the producers’ half.' },
];

/**
 * Calls the code makes only when its environment says so: a secret is read only when the function
 * is given one (Upstash off means no read; functions/roots/rate-limits.ts).
 */
const ONLY_WHEN: Readonly<Record<string, (env: Record<string, string>) => boolean>> = {
  'secretsmanager:GetSecretValue': (env) => Boolean(env.CONVEYOR_UPSTASH_SECRET ?? env.CONVEYOR_WEBHOOK_SECRET_ID),
  // The text model calls Bedrock only when the stage configures it (functions/roots/text-model.ts):
  // the ai consumer always, the analysis consumer with -c aiAnalysis=on.
  'bedrock:InvokeModel': (env) => env.CONVEYOR_AI_PROVIDER === 'bedrock',
};

interface Fn {
  readonly name: string;
  readonly entry: string;
  readonly roleId: string;
  readonly environment: Record<string, string>;
  readonly consumesQueue: boolean;
}

const bundles = new Map<string, Set<string>>();

/** The IAM actions the project files bundled for `entry` construct commands for. */
async function codeActionsOf(entry: string): Promise<Set<string>> {
  const cached = bundles.get(entry);
  if (cached) return cached;
  const result = await build({ ...lambdaEsbuildOptions(entry, '/tmp/conveyor-permissions/index.mjs'), metafile: true, write: false, minify: false, sourcemap: false, logLevel: 'silent' });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint)!;
  const files = Object.entries(output.inputs).filter(([path, input]) => input.bytesInOutput > 0 && !path.includes('node_modules')).map(([path]) => path);
  const actions = new Set<string>();
  expect(files.length).toBeGreaterThan(3);
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    for (const [, names, pkg] of source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/([\w-]+)'/g)) {
      for (const raw of names!.split(',')) {
        const id = raw.replace(/\btype\s+/, '').trim().split(/\s+as\s+/).pop()!;
        if (!id.endsWith('Command') || !new RegExp(`new ${id}\\(`).test(source)) continue;
        const prefix = PREFIX[pkg!];
        if (!prefix) throw new Error(`${file}: @aws-sdk/${pkg!} has no IAM prefix in this test's PREFIX map`);
        const command = id.replace(/Command$/, '');
        const action = pkg === 'lib-dynamodb' ? DOCUMENT_CLIENT[command] : (SQS_BATCH[command] ?? command);
        if (!action) throw new Error(`${file}: ${id} has no DynamoDB action in DOCUMENT_CLIENT`);
        actions.add(`${prefix}:${action}`);
      }
    }
    for (const [method, action] of Object.entries(LIGHT_CLIENT_CALLS)) if (new RegExp(`\\.${method}\\(`).test(source)) actions.add(action);
  }
  bundles.set(entry, actions);
  return actions;
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A UUID-shaped stand-in for the mapping with this logical id. */
function mappingUuid(logicalId: string): string {
  const hex = [...logicalId].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7).toString(16).padStart(8, '0');
  return `${hex}-0000-4000-8000-${hex}0000`;
}

/** CloudFormation intrinsics → the concrete values they take in account ACCOUNT, region REGION. */
function resolver(...templates: SynthesizedStage['service'][]) {
  const resources: Resources = Object.assign({}, ...templates.map((t) => t.toJSON().Resources as Resources));
  const prop = (id: string, name: string) => String(resources[id]?.Properties?.[name]);
  const pseudo: Record<string, string> = { 'AWS::Region': REGION, 'AWS::AccountId': ACCOUNT, 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
  const ref = (id: string): string => {
    if (pseudo[id]) return pseudo[id];
    const type = resources[id]?.Type;
    switch (type) {
      case 'AWS::SQS::Queue': return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${prop(id, 'QueueName')}`;
      case 'AWS::SecretsManager::Secret': return `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${prop(id, 'Name')}-AbCdEf`;
      case 'AWS::SNS::Topic': return `arn:aws:sns:${REGION}:${ACCOUNT}:${prop(id, 'TopicName')}`;
      case 'AWS::SES::ConfigurationSet': return prop(id, 'Name');
      case 'AWS::S3::Bucket': return prop(id, 'BucketName');
      case 'AWS::Lambda::Function': return prop(id, 'FunctionName');
      case 'AWS::Logs::LogGroup': return prop(id, 'LogGroupName');
      // A mapping's Ref is its UUID, which AWS assigns at creation: a stable stand-in per resource.
      case 'AWS::Lambda::EventSourceMapping': return mappingUuid(id);
      default: throw new Error(`no resolution for Ref ${id} (${String(type)})`);
    }
  };
  const getAtt = (id: string, attribute: string): string => {
    const type = resources[id]?.Type;
    if (type === 'AWS::SQS::Queue' && attribute === 'Arn') return `arn:aws:sqs:${REGION}:${ACCOUNT}:${prop(id, 'QueueName')}`;
    if (type === 'AWS::SQS::Queue' && attribute === 'QueueName') return prop(id, 'QueueName');
    if (type === 'AWS::IAM::Role' && attribute === 'Arn') return `arn:aws:iam::${ACCOUNT}:role/${id}`;
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${prop(id, 'FunctionName')}`;
    if (type === 'AWS::Logs::LogGroup' && attribute === 'Arn') return `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${prop(id, 'LogGroupName')}:*`;
    if (type === 'AWS::S3::Bucket' && attribute === 'Arn') return `arn:aws:s3:::${prop(id, 'BucketName')}`;
    throw new Error(`no resolution for GetAtt ${id}.${attribute} (${String(type)})`);
  };
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (!node || typeof node !== 'object') return node;
    const record = node as Record<string, unknown>;
    if ('Ref' in record) return ref(String(record.Ref));
    if ('Fn::GetAtt' in record) return getAtt(...(record['Fn::GetAtt'] as [string, string]));
    if ('Fn::Join' in record) {
      const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
      return parts.map((part) => String(visit(part))).join(delimiter);
    }
    return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, visit(child)]));
  };
  return { resources, resolve: visit };
}

type Policy = { Version?: string; Statement: { Effect: string; Action: string | string[]; Resource?: unknown; Principal?: unknown; Condition?: unknown; Sid?: string }[] };

interface Target {
  readonly resource: string;
  readonly resourcePolicy?: Policy;
  readonly context?: Record<string, string>;
}

async function decide(principal: string, action: string, target: Target, identityPolicy?: Policy): Promise<string> {
  const simulation: Simulation = {
    request: {
      principal,
      action,
      resource: { resource: target.resource, accountId: ACCOUNT },
      // The SDK always calls over HTTPS (the TLS-only resource policies deny anything else).
      contextVariables: { 'aws:SecureTransport': 'true', ...target.context },
    },
    identityPolicies: identityPolicy ? [{ name: 'role', policy: { Version: '2012-10-17', ...identityPolicy } }] : [],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(target.resourcePolicy ? { resourcePolicy: { Version: '2012-10-17', ...target.resourcePolicy } } : {}),
  };
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') throw new Error(`${action} on ${target.resource}: ${JSON.stringify(result.errors)}`);
  return result.overallResult;
}

interface Stage {
  readonly synth: SynthesizedStage;
  readonly functions: Fn[];
  readonly resolve: (node: unknown) => unknown;
  readonly resources: Resources;
}

function stageOf(synth: SynthesizedStage): Stage {
  const { resources, resolve } = resolver(synth.service, synth.data);
  const mappings = Object.values(synth.service.findResources('AWS::Lambda::EventSourceMapping')).map((m) => JSON.stringify((m as { Properties: { FunctionName: unknown } }).Properties.FunctionName));
  const functions = synth.stacks.service.node
    .findAll()
    .filter((c): c is ConveyorFunction => c instanceof ConveyorFunction)
    .map((c) => {
      const fn = onlyResource(synth.service, 'AWS::Lambda::Function', { FunctionName: c.functionName });
      return {
        name: c.functionName,
        entry: c.entryFile,
        roleId: (fn.properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0],
        environment: resolve((fn.properties.Environment as { Variables: unknown }).Variables) as Record<string, string>,
        consumesQueue: mappings.includes(JSON.stringify({ Ref: fn.logicalId })),
      };
    });
  return { synth, functions, resolve, resources };
}

function roleStatements(stage: Stage, roleId: string): Policy['Statement'] {
  const policies = stage.synth.service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } });
  return Object.values(policies).flatMap((p) => (stage.resolve((p as { Properties: { PolicyDocument: Policy } }).Properties.PolicyDocument) as Policy).Statement);
}

/** The resources an action of `fn` acts on, with the resource's own policy where it has one. */
function targetsOf(stage: Stage, fn: Fn, action: string): { readonly all: boolean; readonly targets: Target[] } {
  const [service] = action.split(':');
  const env = fn.environment;
  const stageName = env.CONVEYOR_STAGE!;
  const policyOf = (type: string, key: string, id: string) => {
    const found = Object.values(stage.resources).find((r) => r.Type === type && JSON.stringify(r.Properties?.[key]).includes(JSON.stringify({ Ref: id })));
    return found ? (stage.resolve(found.Properties!.PolicyDocument) as Policy) : undefined;
  };
  switch (service) {
    case 'dynamodb':
      // The redrive consumer queries the dead-letter listing only (its sparse index), not the table.
      if (action === 'dynamodb:Query' && /\/redrive\.ts$/.test(fn.entry)) return { all: true, targets: [{ resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${env.CONVEYOR_TABLE_NAME}/index/deadLetters` }] };
      return { all: true, targets: [{ resource: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${env.CONVEYOR_TABLE_NAME}` }] };
    case 'sqs':
      return {
        all: false,
        targets: Object.entries(stage.resources)
          .filter(([, r]) => r.Type === 'AWS::SQS::Queue')
          .map(([id, r]) => ({ resource: `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(r.Properties!.QueueName)}`, ...(policyOf('AWS::SQS::QueuePolicy', 'Queues', id) ? { resourcePolicy: policyOf('AWS::SQS::QueuePolicy', 'Queues', id)! } : {}) })),
      };
    case 's3':
      return { all: true, targets: s3Targets(stage, fn, action) };
    case 'ses': {
      // A send is authorised on the sender's identity, the configuration set it names and, in the
      // sandbox, each recipient's identity: all three must allow it.
      const from = { 'ses:FromAddress': env.CONVEYOR_EMAIL_FROM! };
      const domain = env.CONVEYOR_EMAIL_FROM!.split('@')[1];
      return {
        all: true,
        targets: [
          { resource: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/${domain}`, context: from },
          { resource: `arn:aws:ses:${REGION}:${ACCOUNT}:identity/verified-tester@gmail.com`, context: from },
          { resource: `arn:aws:ses:${REGION}:${ACCOUNT}:configuration-set/${env.CONVEYOR_SES_CONFIGURATION_SET}`, context: from },
        ],
      };
    }
    case 'secretsmanager': {
      const secrets = [env.CONVEYOR_WEBHOOK_SECRET_ID, env.CONVEYOR_UPSTASH_SECRET && `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${env.CONVEYOR_UPSTASH_SECRET}-AbCdEf`].filter(Boolean) as string[];
      return { all: true, targets: secrets.map((resource) => ({ resource })) };
    }
    case 'scheduler':
      return { all: true, targets: [{ resource: `arn:aws:scheduler:${REGION}:${ACCOUNT}:schedule/${env.CONVEYOR_SCHEDULE_GROUP}/job-1` }] };
    case 'iam':
      return { all: true, targets: [{ resource: env.CONVEYOR_SCHEDULER_ROLE_ARN!, context: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }] };
    case 'xray':
      // X-Ray takes no resource-level permissions (infra/constructs/ConveyorFunction.ts).
      return { all: true, targets: [{ resource: '*' }] };
    case 'bedrock':
      // The model the function is configured to invoke, in the Region it invokes it in (a foundation model has no account).
      return { all: true, targets: [{ resource: `arn:aws:bedrock:${env.CONVEYOR_AI_REGION ?? REGION}::foundation-model/${env.CONVEYOR_AI_MODEL_ID}` }] };
    case 'logs':
      return { all: true, targets: [{ resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${fn.name}:log-stream:2026/12/06/[$LATEST]abc` }] };
    case 'lambda': {
      // Pausing a type switches each of its mappings, named in the function's environment.
      const uuids = Object.values(JSON.parse(env.CONVEYOR_EVENT_SOURCE_MAPPINGS ?? '{}') as Record<string, string[]>).flat();
      return { all: true, targets: uuids.map((uuid) => ({ resource: `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${uuid}` })) };
    }
    default:
      throw new Error(`${fn.name}: no resource for ${action} (stage ${stageName})`);
  }
}

/** A job id and digest as the job-data keys hold them (functions/job-data/job-data.ts). */
const JOB = '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b';
const SHA = 'ab'.repeat(32);

/** The objects each function's code touches with an S3 action, per bucket (the documents, the job data). */
function s3Targets(stage: Stage, fn: Fn, action: string): Target[] {
  const env = fn.environment;
  const isApi = /\/api\.ts$/.test(fn.entry);
  const bucketOf = (name: string) => {
    const id = Object.entries(stage.resources).find(([, r]) => r.Type === 'AWS::S3::Bucket' && stage.resolve(r.Properties!.BucketName) === name)?.[0];
    expect(id, `bucket ${name} in the templates`).toBeDefined();
    const resourcePolicy = id ? (Object.values(stage.resources).find((r) => r.Type === 'AWS::S3::BucketPolicy' && JSON.stringify(r.Properties?.Bucket).includes(JSON.stringify({ Ref: id }))) as { Properties: { PolicyDocument: unknown } } | undefined) : undefined;
    return resourcePolicy ? { resourcePolicy: stage.resolve(resourcePolicy.Properties.PolicyDocument) as Policy } : {};
  };
  const targets: Target[] = [];
  const jobData = env.CONVEYOR_JOB_DATA_BUCKET;
  if (jobData) {
    const payload = { resource: `arn:aws:s3:::${jobData}/tenants/acme/jobs/${JOB}/payload-${SHA}.json`, ...bucketOf(jobData) };
    const result = { resource: `arn:aws:s3:::${jobData}/tenants/acme/jobs/${JOB}/result-${SHA}.json`, ...bucketOf(jobData) };
    // The API writes, deletes and reads back payloads, and signs GETs of payloads and results; a
    // consumer reads payloads and writes results.
    const touches: Record<string, Target[]> = isApi
      ? { 's3:PutObject': [payload], 's3:DeleteObject': [payload], 's3:GetObject': [payload, result] }
      : { 's3:GetObject': [payload], 's3:PutObject': [result] };
    targets.push(...(touches[action] ?? []));
  }
  const documents = env.CONVEYOR_BUCKET_NAME;
  // The API signs document downloads (GetObject); the PDF consumer writes and reads its documents.
  if (documents && (action === 's3:GetObject' || (!isApi && action === 's3:PutObject'))) targets.push({ resource: `arn:aws:s3:::${documents}/tenants/acme/pdf/invoice-${JOB}.pdf`, ...bucketOf(documents) });
  return targets;
}

let stages: Stage[];

beforeAll(() => {
  stages = [
    stageOf(synthesizeStage('dev', { bundle: false })),
    stageOf(synthesizeStage('prod', { bundle: false, context: { alarmEmail: 'ops@acme-jobs.io', emailSender: 'jobs@mail.acme-jobs.io', upstashSecretName: 'conveyor/prod/upstash' } })),
  ];
}, 300_000);

afterAll(() => {
  for (const stage of stages ?? []) stage.synth.cleanup();
});

describe('Permissions: what each function’s code calls, against what its role and the resources allow', () => {
  it('allows every action the code of each function can call, on the resources it calls them on', async () => {
    const denied: string[] = [];
    for (const stage of stages) {
      for (const fn of stage.functions) {
        // Prepare
        const code = await codeActionsOf(fn.entry);
        const skipped = BUNDLED_NOT_CALLED.filter((b) => b.entry.test(fn.entry)).map((b) => b.action);
        const needed = new Set([...code].filter((a) => !skipped.includes(a) && (ONLY_WHEN[a]?.(fn.environment) ?? true)));
        for (const action of [...needed]) for (const implied of IMPLIED[action] ?? []) needed.add(implied);
        for (const action of [...RUNTIME, ...(fn.consumesQueue ? EVENT_SOURCE : []), ...(fn.environment.CONVEYOR_TRACING === 'on' ? TRACING : [])]) needed.add(action);
        const policy = { Statement: roleStatements(stage, fn.roleId) };

        // Act
        for (const action of needed) {
          const { all, targets } = targetsOf(stage, fn, action);
          const decisions = await Promise.all(targets.map((t) => decide(`arn:aws:iam::${ACCOUNT}:role/${fn.roleId}`, action, t, policy)));
          const ok = targets.length > 0 && (all ? decisions.every((d) => d === 'Allowed') : decisions.some((d) => d === 'Allowed'));
          if (!ok) denied.push(`${fn.name}: ${action} → ${targets.map((t, i) => `${t.resource}=${decisions[i]}`).join(', ') || 'no resource'}`);
        }
      }
    }

    // Assess
    // Two stages, each: a consumer per registered job type, the API, the authorizer, the scheduler target, the webhook consumer, the recovery sweep, the redrive consumer.
    expect(stages.flatMap((s) => s.functions)).toHaveLength(2 * (JOB_TYPES.length + 6));
    expect(denied).toEqual([]);
  }, 120_000);

  it('grants no action that no code of the function calls (nor Lambda on its behalf)', async () => {
    const unused: string[] = [];
    for (const stage of stages) {
      for (const fn of stage.functions) {
        // Prepare
        const code = await codeActionsOf(fn.entry);
        const skipped = BUNDLED_NOT_CALLED.filter((b) => b.entry.test(fn.entry)).map((b) => b.action);
        const called = new Set([...code].filter((a) => !skipped.includes(a) && (ONLY_WHEN[a]?.(fn.environment) ?? true)));
        for (const action of [...called]) for (const implied of IMPLIED[action] ?? []) called.add(implied);
        for (const action of [...RUNTIME, ...(fn.consumesQueue ? [...EVENT_SOURCE, ...Object.keys(EVENT_SOURCE_EXTRA)] : []), ...(fn.environment.CONVEYOR_TRACING === 'on' ? TRACING : [])]) called.add(action);

        // Act
        const granted = roleStatements(stage, fn.roleId).filter((s) => s.Effect === 'Allow').flatMap((s) => [s.Action].flat());

        // Assess
        for (const action of new Set(granted)) if (!called.has(action)) unused.push(`${fn.name}: ${action}`);
      }
    }
    expect(unused).toEqual([]);
  }, 120_000);

  it('keeps the list of bundled-but-not-called commands honest: each is derived, and none is granted', async () => {
    for (const exception of BUNDLED_NOT_CALLED) {
      // Act
      const fns = stages.flatMap((s) => s.functions.filter((fn) => exception.entry.test(fn.entry)).map((fn) => ({ stage: s, fn })));

      // Assess
      expect(fns.length, exception.action).toBeGreaterThan(0);
      expect(exception.reason.length).toBeGreaterThan(30);
      for (const { stage, fn } of fns) {
        expect((await codeActionsOf(fn.entry)).has(exception.action), `${fn.name} ${exception.action}`).toBe(true);
        expect(roleStatements(stage, fn.roleId).flatMap((s) => [s.Action].flat()), `${fn.name} ${exception.action}`).not.toContain(exception.action);
      }
    }
  }, 120_000);
});

describe('Permissions: pausing a job type', () => {
  it('lets the API switch every job consumer’s event source mapping, and not the webhook consumer’s', async () => {
    for (const stage of stages) {
      // Prepare
      const api = stage.functions.find((fn) => fn.entry.endsWith('/api.ts'))!;
      const policy = { Statement: roleStatements(stage, api.roleId) };
      const webhooks = stage.functions.find((fn) => fn.entry.endsWith('/webhook-worker.ts'))!;
      const webhookMapping = Object.entries(stage.resources).find(([, r]) => r.Type === 'AWS::Lambda::EventSourceMapping' && JSON.stringify(r.Properties!.FunctionName).includes(onlyResource(stage.synth.service, 'AWS::Lambda::Function', { FunctionName: webhooks.name }).logicalId))![0];
      const arn = (uuid: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:event-source-mapping:${uuid}`;
      const jobMappings = Object.values(JSON.parse(api.environment.CONVEYOR_EVENT_SOURCE_MAPPINGS!) as Record<string, string[]>).flat();

      // Act
      const allowed = await Promise.all(jobMappings.map((uuid) => decide(`arn:aws:iam::${ACCOUNT}:role/${api.roleId}`, 'lambda:UpdateEventSourceMapping', { resource: arn(uuid) }, policy)));
      const webhook = await decide(`arn:aws:iam::${ACCOUNT}:role/${api.roleId}`, 'lambda:UpdateEventSourceMapping', { resource: arn(mappingUuid(webhookMapping)) }, policy);
      const deleting = await decide(`arn:aws:iam::${ACCOUNT}:role/${api.roleId}`, 'lambda:DeleteEventSourceMapping', { resource: arn(jobMappings[0]!) }, policy);

      // Assess: one mapping per lane of every registered type (three for a type with priorities).
      expect(jobMappings).toHaveLength(jobDefinitions.reduce((lanes, d) => lanes + (isPrioritized(d) ? 3 : 1), 0));
      expect(allowed).toEqual(jobMappings.map(() => 'Allowed'));
      expect(webhook).toBe('ImplicitlyDenied');
      expect(deleting).toBe('ImplicitlyDenied');
    }
  });
});

describe('Permissions: CloudWatch may publish to the alarm topics', () => {
  it('lets CloudWatch alarms of this account publish over TLS, and no other account nor plain HTTP', async () => {
    for (const stage of stages) {
      for (const [id, topic] of Object.entries(stage.resources).filter(([, r]) => r.Type === 'AWS::SNS::Topic')) {
        // Prepare
        const arn = `arn:aws:sns:${REGION}:${ACCOUNT}:${String(topic.Properties!.TopicName)}`;
        const policyResource = Object.values(stage.resources).find((r) => r.Type === 'AWS::SNS::TopicPolicy' && JSON.stringify(r.Properties!.Topics).includes(JSON.stringify({ Ref: id })));
        const resourcePolicy = stage.resolve(policyResource?.Properties?.PolicyDocument) as Policy | undefined;
        const publish = (context: Record<string, string>) => decide('cloudwatch.amazonaws.com', 'sns:Publish', { resource: arn, ...(resourcePolicy ? { resourcePolicy } : {}), context });

        // Act
        const ours = await publish({ 'aws:SourceAccount': ACCOUNT });
        const theirs = await publish({ 'aws:SourceAccount': '999999999999' });
        const plain = await publish({ 'aws:SourceAccount': ACCOUNT, 'aws:SecureTransport': 'false' });

        // Assess
        expect([arn, ours]).toEqual([arn, 'Allowed']);
        expect([arn, theirs]).not.toEqual([arn, 'Allowed']);
        expect([arn, plain]).toEqual([arn, 'ExplicitlyDenied']);
      }
    }
  });
});

describe('Permissions: job data (payloads and results stored apart) by kind of object', () => {
  it('lets the consumer of every job type, in every stage, read any tenant’s stored payload and write its result', async () => {
    // Prepare: any job's payload may be stored apart, whatever its type, and any handler's result may be large
    const refused: string[] = [];
    for (const stage of stages) {
      for (const type of JOB_TYPES) {
        const fn = stage.functions.find((f) => f.consumesQueue && f.environment.CONVEYOR_JOB_TYPE === type);
        const bucket = fn?.environment.CONVEYOR_JOB_DATA_BUCKET;
        if (!fn || !bucket) {
          refused.push(`${stage.synth.stacks.service.stackName}: the ${type} consumer has no job-data bucket`);
          continue;
        }
        const policy = { Statement: roleStatements(stage, fn.roleId) };
        for (const tenant of ['acme', 'globex']) {
          for (const [action, kind] of [['s3:GetObject', 'payload'], ['s3:PutObject', 'result']] as const) {
            // Act
            const resource = `arn:aws:s3:::${bucket}/tenants/${tenant}/jobs/${JOB}/${kind}-${SHA}.json`;
            const decision = await decide(`arn:aws:iam::${ACCOUNT}:role/${fn.roleId}`, action, { resource }, policy);
            if (decision !== 'Allowed') refused.push(`${fn.name}: ${action} ${resource} = ${decision}`);
          }
        }
      }
    }

    // Assess
    expect(refused).toEqual([]);
  }, 120_000);

  it('denies what no function’s job needs: consumers writing payloads or deleting, the API writing results, anyone outside tenants/*/jobs/*/', async () => {
    const wrongly: string[] = [];
    for (const stage of stages) {
      for (const fn of stage.functions) {
        const bucket = fn.environment.CONVEYOR_JOB_DATA_BUCKET;
        if (!bucket) continue;
        // Prepare
        const isApi = /\/api\.ts$/.test(fn.entry);
        const policy = { Statement: roleStatements(stage, fn.roleId) };
        const key = (path: string) => ({ resource: `arn:aws:s3:::${bucket}/${path}` });
        const denied: [string, Target][] = [
          ['s3:PutObject', key(`tenants/acme/jobs/${JOB}/${isApi ? 'result' : 'payload'}-${SHA}.json`)],
          ['s3:DeleteObject', key(`tenants/acme/jobs/${JOB}/result-${SHA}.json`)],
          ['s3:GetObject', key('elsewhere/payload.json')],
          ['s3:PutObject', key(`tenants/acme/other/payload-${SHA}.json`)],
          ...(isApi ? [] : ([['s3:DeleteObject', key(`tenants/acme/jobs/${JOB}/payload-${SHA}.json`)], ['s3:GetObject', key(`tenants/acme/jobs/${JOB}/result-${SHA}.json`)]] as [string, Target][])),
        ];

        // Act
        for (const [action, target] of denied) {
          const decision = await decide(`arn:aws:iam::${ACCOUNT}:role/${fn.roleId}`, action, target, policy);
          if (decision === 'Allowed') wrongly.push(`${fn.name}: ${action} ${target.resource}`);
        }
      }
    }

    // Assess: the job-data bucket reaches the API and every job consumer, and nothing above is allowed
    const holders = stages.flatMap((s) => s.functions.filter((fn) => fn.environment.CONVEYOR_JOB_DATA_BUCKET).map((fn) => fn.name));
    expect(holders.length).toBeGreaterThanOrEqual(8);
    expect(wrongly).toEqual([]);
  }, 120_000);
});
