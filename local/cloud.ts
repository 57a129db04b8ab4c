import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseConfig, type ConveyorConfig } from '../shared/config/env.js';
import { JOB_TYPES, jobRegistry, type JobType } from '../shared/jobs/registry.js';
import { JsonLogger, type LogLevel } from '../shared/logging/logger.js';
import type { Principal } from '../shared/ports/api-keys.js';
import { DynamoApiKeyAdmin } from '../functions/adapters/aws/dynamo-api-key-admin.js';
import { createJobHandlers, type JobHandlers } from '../functions/jobs/index.js';
import type { AwsClients } from '../functions/adapters/aws/clients.js';
import { createClients, createJobQueue } from '../functions/wiring.js';
import type { SqsJobQueue } from '../functions/adapters/aws/sqs-job-queue.js';
import { enableTracing } from '../functions/adapters/aws/tracing.js';
import { httpApiHandler } from '../functions/adapters/aws/http-api-event.js';
import { buildApiApp } from '../functions/roots/api.js';
import { buildConsumerHandler, corePorts } from '../functions/roots/consumer.js';
import { describeTextModel } from '../functions/roots/text-model.js';
import { blobsPort } from '../functions/capabilities/blobs.js';
import { emailPort } from '../functions/capabilities/email.js';
import { enqueuePort } from '../functions/capabilities/enqueue.js';
import { inboxPort } from '../functions/capabilities/inbox.js';
import { modelPort } from '../functions/capabilities/model.js';
import type { JobHandler } from '../functions/worker/context.js';
import type { TextModel } from '../shared/ports/text-model.js';
import { serveHttpApi, type HttpApiHandler } from './api-gateway.js';
import { DASHBOARD_PATH, dashboardRoutes } from './dashboard/serve.js';
import { lockDataDir } from './data-dir-lock.js';
import { startDynamo, type LocalService } from './dynamodb.js';
import { SqsEventSourceMapping } from './event-source-mapping.js';
import { localMappingUuid, startLocalLambda } from './lambda.js';
import { ensureFailureQueue, ensureJobQueues, ensureRedriveQueue, ensureTable, type ProvisionedQueue } from './provision.js';
import { startS3 } from './s3.js';
import { startSes } from './ses.js';
import { startSqsServer } from './sqs/server.js';
import type { ProviderLimit } from '../shared/jobs/rate-limits.js';
import type { RateRule } from '../shared/ports/rate-limiter.js';
import { createRateLimiter, describeRateLimits } from '../functions/roots/rate-limits.js';
import { buildSchedulerTarget } from '../functions/roots/scheduler-target.js';
import { buildRecoverySweep } from '../functions/roots/sweep.js';
import { buildRedriveConsumer } from '../functions/roots/redrive.js';
import type { RedriveSettings, RedriveSource } from '../functions/redrive/redrive-runner.js';
import { REDRIVE_CONSUMER } from '../shared/config/redrive.js';
import type { RecoverySweep } from '../functions/recovery/sweep.js';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { buildWebhookWorker } from '../functions/roots/webhook-worker.js';
import { recurringJobs, type RecurringJobDefinition } from '../shared/jobs/recurring.js';
import { nextCronTime } from '../shared/jobs/cron.js';
import { LocalScheduler, type Clock } from './scheduler.js';
import { ensureLanes, type Lane } from './priority-queues.js';
import { ensureWebhookQueue, LOCAL_WEBHOOK_ALLOW_HOSTS, LOCAL_WEBHOOK_SECRET } from './webhooks.js';
import type { WebhookWorkerDeps } from '../functions/webhooks/webhook-worker.js';
import { tryStartUpstash } from './upstash/index.js';
import { asPortInUse, assertPortFree, LOCAL_SERVICES, type LocalServiceName } from './ports.js';
import { startApiThread, startDynamoThread, startSqsThread, type LocalHttpApiHandle, type ThreadedService } from './threads/services.js';
import type { LocalThreadInfo } from './threads/thread.js';
import { ConfigurationError } from '../shared/domain/errors.js';

/**
 * The local cloud's fixed development keys (printed by `npm start`, used in the docs). The
 * developer operates their own local platform, so the first key also holds `operator` (the
 * dashboard's dead-letter and redrive views need it). Recurring jobs run as their entry's tenant
 * (`system` in the registry), so that tenant has a key too: without one, their jobs would be
 * invisible in the API, the CLI and the dashboard.
 */
export const LOCAL_API_KEYS: ReadonlyArray<{ key: string; principal: Principal }> = [
  { key: 'cvk_local_dev', principal: { tenant: 'dev', keyId: 'local-dev', scopes: ['jobs', 'admin', 'operator'] } },
  { key: 'cvk_local_other', principal: { tenant: 'other', keyId: 'local-other', scopes: ['jobs'] } },
  { key: 'cvk_local_system', principal: { tenant: 'system', keyId: 'local-system', scopes: ['jobs'] } },
];

/** The fixed keys, plus `cvk_local_<tenant>` for any other tenant a recurring job runs as. */
function localKeysFor(recurring: readonly RecurringJobDefinition[]): ReadonlyArray<{ key: string; principal: Principal }> {
  const missing = [...new Set(recurring.map((r) => r.tenant))].filter((tenant) => !LOCAL_API_KEYS.some((k) => k.principal.tenant === tenant));
  return [...LOCAL_API_KEYS, ...missing.map((tenant) => ({ key: `cvk_local_${tenant}`, principal: { tenant, keyId: `local-${tenant}`, scopes: ['jobs' as const] } }))];
}

export interface LocalCloudOptions {
  /** Persist DynamoDB (and queues) under this folder; memory when absent. */
  readonly dataDir?: string;
  readonly apiPort?: number;
  /** The other servers' ports (local/ports.ts); each absent one picks a free port. */
  readonly ports?: Partial<Record<Exclude<LocalServiceName, 'api'>, number>>;
  readonly stage?: string;
  /** Default: silent, or info when `writeLog` is given (tests stay quiet unless they read the lines). */
  readonly logLevel?: LogLevel;
  /** Share of invocations that also log their debug lines (CONVEYOR_LOG_DEBUG_SAMPLE_RATE). */
  readonly debugSampleRate?: number;
  /** Load Powertools Tracer and capture the clients, as a traced stage does (CONVEYOR_TRACING=on). */
  readonly tracing?: boolean;
  /** Replace job handlers (tests inject faults); a function gets the real ones to wrap. */
  readonly handlers?: Partial<JobHandlers> | ((real: JobHandlers) => Partial<JobHandlers>);
  /** Long-poll wait of the event source pollers; shorter makes shutdown quicker in tests. */
  readonly pollWaitSeconds?: number;
  readonly writeLog?: (line: string) => void;
  /** Serve the web dashboard under /dashboard on the API server (default true). */
  readonly dashboard?: boolean;
  /**
   * How long `stop()` lets jobs under way finish; messages of jobs still running then go back to the
   * queue (and persist with the data dir). Default 10 s.
   */
  readonly shutdownGraceMs?: number;
  /** CONVEYOR_TIMEOUT_MARGIN_MS: a margin close to a type's timeout makes its signal fire early (timeout tests). */
  readonly timeoutMarginMs?: number;
  /**
   * Rate limits on a local Upstash endpoint over redis-server (`npm start` turns them on). Off by
   * default in tests; an object overrides the tenant enqueue limit and per-type provider limits.
   */
  /** The local scheduler's clock (delayed and cron jobs); tests inject a ManualClock. */
  readonly clock?: Clock;
  /** Completion webhooks: signing secret, allowed hosts (default: this machine), retry settings. */
  readonly webhooks?: { readonly secret?: string; readonly allowHosts?: string } & Pick<WebhookWorkerDeps, 'maxAttempts' | 'backoff'>;
  /** Recurring jobs to schedule (default: the registry's `recurringJobs`). */
  readonly recurringJobs?: readonly RecurringJobDefinition[];
  readonly rateLimits?: boolean | { readonly tenantEnqueue?: RateRule; readonly providers?: Partial<Record<JobType, ProviderLimit>> };
  /** The AI tasks' text model (default: the local deterministic one; tests inject fakes). */
  readonly textModel?: TextModel;
  /** CONVEYOR_AI_ANALYSIS: `on` makes the analysis job ask the text model for its lists. */
  readonly aiAnalysis?: boolean;
  /** Sees the SDK clients the handlers use and times each Lambda invocation (`npm run bench` meters cost with it). */
  readonly observe?: LocalCloudObserver;
  /**
   * The redrive consumer: the runner's settings, the function's timeout and the queue's visibility
   * timeout (tests shorten the runs, the lease and the redelivery of a nudge whose run died; the lease
   * must outlast a run, and the visibility too).
   */
  readonly redrive?: { readonly settings?: Partial<RedriveSettings>; readonly timeoutSeconds?: number; readonly visibilityTimeoutSeconds?: number };
  /**
   * Run local DynamoDB, local SQS and the API (API Gateway and the API function) each in its own
   * worker thread, as separate as they are on AWS, so the local cloud uses every core (`npm start`
   * does). Default false: everything in this process, which starts faster (tests start many clouds);
   * `observe` needs that (it attaches to the API's clients). The consumers (and any `handlers`
   * injected for them) run in this process either way.
   */
  readonly threads?: boolean;
  /** Faults to inject (tests of recovery): the API function dies after writing a job's record and before sending its message; a scheduled release fails every time. */
  readonly faults?: LocalCloudFaults;
}

export interface LocalCloudFaults {
  /** Called with the job id of each message the API is about to send; true: the function dies there (the call never returns). */
  readonly apiDiesBeforeSend?: (jobId: string) => boolean;
  /** True: the scheduler's invocation of the release target fails for this job. */
  readonly releaseFails?: (jobId: string) => boolean;
  /** Called before the redrive consumer puts each dead job back; true: the consumer dies there (its invocation fails, the job untouched). */
  readonly redriveDies?: (jobId: string) => boolean;
}

export interface LocalCloudObserver {
  clients?(clients: AwsClients): void;
  invocation?(functionName: string, durationMs: number): void;
}

export interface LocalCloud {
  readonly apiUrl: string;
  /** The local web dashboard (absent when `dashboard: false`). */
  readonly dashboardUrl?: string;
  readonly apiKey: string;
  /** Every key this cloud stored: the fixed ones and one per other tenant a recurring job runs as. */
  readonly apiKeys: ReadonlyArray<{ key: string; principal: Principal }>;
  readonly config: ConveyorConfig;
  readonly endpoints: { readonly dynamodb: string; readonly sqs: string; readonly ses: string; readonly s3: string; readonly lambda: string };
  /** The local SES server's web inbox, and the same messages as JSON. */
  readonly inbox: { readonly url: string; readonly storeUrl: string };
  readonly queues: Readonly<Record<JobType, ProvisionedQueue>>;
  readonly mappings: Readonly<Record<JobType, SqsEventSourceMapping>>;
  /** The local Upstash endpoint, when rate limits are on. */
  readonly upstash?: { readonly url: string; readonly token: string };
  /** Every event source mapping by queue key: the type, `<type>:high` / `<type>:low` for priority lanes, `webhooks`, `redrive`. */
  readonly lanes: Readonly<Record<string, SqsEventSourceMapping>>;
  /** Stands in for EventBridge Scheduler: holds jobs due > 15 min ahead, fires cron entries, runs the recovery sweep every minute. */
  readonly scheduler: LocalScheduler;
  /** The scheduler target's failure destination: releases given up on after every attempt land here. */
  readonly releaseFailures: { readonly url: string; readonly arn: string };
  /** The recovery sweep the scheduler runs (tests may run it directly). */
  readonly sweep: RecoverySweep;
  /** Occurrences of recurring jobs fired so far, with the job each enqueued. */
  readonly recurringRuns: readonly { name: string; scheduledAt: string; jobId: string }[];
  /** One line each for the start-up log (e.g. whether rate limits are on, and why not). */
  readonly notices: readonly string[];
  /** The worker threads the servers and the API run in (none with `threads: false`); the rest runs in this thread. */
  readonly threads: readonly LocalThreadInfo[];
  /** Stops polling, lets invocations under way finish, then closes the servers. */
  stop(): Promise<void>;
}

/**
 * Boots Conveyor on one machine: local DynamoDB and SQS servers, the table and one queue + DLQ per
 * registered job type, the API behind a local API Gateway, and one event source mapping per queue
 * invoking the same Lambda handlers that run on AWS.
 */
export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const stage = options.stage ?? 'local';
  const threads = options.threads ?? false;
  if (threads && options.observe) throw new ConfigurationError('startLocalCloud: observe attaches to the API function\'s SDK clients, so it needs threads: false');
  const logLevel = options.logLevel ?? (options.writeLog ? 'info' : 'silent');
  // The functions' own logger, with the same fields as on AWS (service, Lambda request id, cold start).
  const logger = new JsonLogger({ level: logLevel, serviceName: `conveyor-${stage}`, ...(options.writeLog ? { write: options.writeLog } : {}) });
  // The SDK's default credential chain needs some credentials; local servers ignore them.
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';

  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  // Before any other file in the data dir is opened: a second cloud on it must not touch the first's
  // files. Taken before the ports are checked, so a second start on the same data dir (and, by
  // default, the same ports) is told the data dir is in use, which is the real conflict.
  const lock = options.dataDir ? await lockDataDir(options.dataDir) : undefined;
  const ports = { api: options.apiPort ?? 0, ...options.ports };
  const listening = <T>(service: LocalServiceName, started: Promise<T>): Promise<T> => started.catch((error: unknown) => Promise.reject(asPortInUse(service, ports[service], error)));
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    await runClosers(closers);
    await lock?.release();
  };
  try {
    // Every fixed port is checked before anything starts, the API's first: a second `npm start` is
    // told about the port it asked for, and nothing is left half-started.
    for (const service of LOCAL_SERVICES) await assertPortFree(service, ports[service] ?? 0);
    const dynamoOptions = { ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}), ...(ports.dynamodb ? { port: ports.dynamodb } : {}) };
    const dynamo = await listening<LocalService | ThreadedService>('dynamodb', threads ? startDynamoThread(dynamoOptions) : startDynamo(dynamoOptions));
    closers.push(() => dynamo.close());
    // Queues persist beside DynamoDB: a restart must not lose queued jobs (local/sqs/journal.ts).
    const sqsOptions = { ...(options.dataDir ? { dataDir: join(options.dataDir, 'sqs') } : {}), ...(ports.sqs ? { port: ports.sqs } : {}) };
    const sqs = await listening<LocalService | ThreadedService>('sqs', threads ? startSqsThread(sqsOptions) : startSqsServer(sqsOptions));
    closers.unshift(() => sqs.close());
    const ses = await listening('ses', startSes({ ...(ports.ses ? { port: ports.ses } : {}), ...(options.dataDir ? { storeFile: join(options.dataDir, 'ses', 'inbox.jsonl') } : {}) }));
    closers.push(() => ses.close());
    const bucketName = `conveyor-${stage}-documents`;
    // Payloads and results too large for their record; on AWS a bucket of its own, with its own
    // lifecycle rule (infra/constructs/BlobBucket.ts). Objects are never expired here, as records are
    // never deleted: a record past its TTL reads as gone, and only a record leads to its objects.
    const jobDataBucket = `conveyor-${stage}-jobdata`;
    const s3 = await listening('s3', startS3({
      buckets: [bucketName, jobDataBucket],
      credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'local', secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'local' },
      ...(options.dataDir ? { directory: join(options.dataDir, 's3') } : {}),
      ...(ports.s3 ? { port: ports.s3 } : {}),
    }));
    closers.push(() => s3.close());
    // Lambda's event source mapping API: the API pauses and resumes a type's pollers through it.
    const lambda = await listening('lambda', startLocalLambda({ ...(ports.lambda ? { port: ports.lambda } : {}), ...(options.dataDir ? { stateFile: join(options.dataDir, 'lambda', 'event-source-mappings.json') } : {}) }));
    closers.push(() => lambda.close());
    const tableName = `conveyor-${stage}-jobs`;
    const bootstrapClients = createClients(parseConfig({ CONVEYOR_TABLE_NAME: tableName, CONVEYOR_QUEUE_URLS: '{}', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint, AWS_ENDPOINT_URL_SQS: sqs.endpoint }));
    const rawDynamo = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
    await ensureTable(rawDynamo, tableName);
    rawDynamo.destroy();
    const queues = {} as Record<JobType, ProvisionedQueue>;
    for (const type of JOB_TYPES) queues[type] = await ensureJobQueues(bootstrapClients.sqs, stage, jobRegistry[type]);
    const webhookQueue = await ensureWebhookQueue(bootstrapClients.sqs, stage, options.webhooks?.maxAttempts);
    const redriveQueue = await ensureRedriveQueue(bootstrapClients.sqs, stage, options.redrive?.visibilityTimeoutSeconds);
    const releaseFailures = await ensureFailureQueue(bootstrapClients.sqs, `conveyor-${stage}-scheduler-target-failures`);
    const lanes = {} as Record<JobType, Lane[]>;
    for (const type of JOB_TYPES) lanes[type] = await ensureLanes(bootstrapClients.sqs, stage, jobRegistry[type], queues[type]);

    const limits = options.rateLimits === true ? {} : options.rateLimits || undefined;
    const upstash = limits
      ? await listening('upstash', tryStartUpstash({ ...(ports.upstash ? { port: ports.upstash } : {}), ...(options.dataDir ? { tokenFile: join(options.dataDir, 'upstash-token') } : {}) }))
      : { reason: 'not requested (LocalCloudOptions.rateLimits)' };
    if (upstash.server) closers.push(() => upstash.server.close());

    // Each lane's mapping has a UUID fixed by what it connects, so the API can be told them up front.
    const workerName = (type: string) => `conveyor-${stage}-${type}-worker`;
    const mappingUuids = Object.fromEntries(JOB_TYPES.map((t) => [t, lanes[t].map((lane) => localMappingUuid(workerName(t), lane.arn))]));
    // Locally the one process signs webhooks too: the key is a plain variable, not a secret to fetch.
    const webhookSigningKey = options.webhooks?.secret ?? LOCAL_WEBHOOK_SECRET;
    // The functions' environment, as the CDK sets it on AWS (the API thread parses the same).
    const environment: Record<string, string> = {
      CONVEYOR_STAGE: stage,
      CONVEYOR_TABLE_NAME: tableName,
      CONVEYOR_QUEUE_URLS: JSON.stringify(Object.fromEntries(JOB_TYPES.flatMap((t) => lanes[t].map((lane) => [lane.key, lane.url])))),
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_LAMBDA: lambda.endpoint,
      CONVEYOR_EVENT_SOURCE_MAPPINGS: JSON.stringify(mappingUuids),
      CONVEYOR_EMAIL_FROM: 'Conveyor <no-reply@conveyor.local>',
      CONVEYOR_BUCKET_NAME: bucketName,
      CONVEYOR_JOB_DATA_BUCKET: jobDataBucket,
      LOG_LEVEL: logLevel,
      CONVEYOR_TRACING: options.tracing ? 'on' : 'off',
      ...(options.debugSampleRate !== undefined ? { CONVEYOR_LOG_DEBUG_SAMPLE_RATE: String(options.debugSampleRate) } : {}),
      CONVEYOR_WEBHOOK_QUEUE_URL: webhookQueue.url,
      CONVEYOR_REDRIVE_QUEUE_URL: redriveQueue.url,
      CONVEYOR_WEBHOOK_SECRET: webhookSigningKey,
      CONVEYOR_WEBHOOK_ALLOW_HOSTS: options.webhooks?.allowHosts ?? LOCAL_WEBHOOK_ALLOW_HOSTS,
      ...(options.timeoutMarginMs !== undefined ? { CONVEYOR_TIMEOUT_MARGIN_MS: String(options.timeoutMarginMs) } : {}),
      CONVEYOR_AI_PROVIDER: 'local',
      ...(options.aiAnalysis ? { CONVEYOR_AI_ANALYSIS: 'on' } : {}),
      ...(upstash.server ? { UPSTASH_REDIS_REST_URL: upstash.server.url, UPSTASH_REDIS_REST_TOKEN: upstash.server.token } : {}),
      ...(limits?.tenantEnqueue ? { CONVEYOR_TENANT_ENQUEUE_LIMIT: `${limits.tenantEnqueue.limit}/${limits.tenantEnqueue.windowSeconds}` } : {}),
    };
    const config = parseConfig(environment);
    const notices = [describeRateLimits(config, upstash.server ? undefined : upstash.reason), options.textModel ? `AI tasks use the injected model ${options.textModel.provider}/${options.textModel.modelId}` : describeTextModel(config)];
    const keys = new DynamoApiKeyAdmin({ client: bootstrapClients.dynamo, tableName });
    const recurring = options.recurringJobs ?? recurringJobs;
    const localKeys = localKeysFor(recurring);
    for (const { key, principal } of localKeys) await keys.put(key, principal);

    // Before the functions' clients are built, so that they are captured (functions/adapters/aws/tracing.ts).
    await enableTracing(config);
    const clients = createClients(config);
    options.observe?.clients?.(clients);
    // The scheduler's release callback needs the target, and the target's JobService needs the
    // scheduler: the callback reads `target` only when it fires, after both exist.
    const scheduler = new LocalScheduler({
      logger: logger.child({ fn: 'scheduler' }),
      release: (jobId, generation) => (options.faults?.releaseFails?.(jobId) ? Promise.reject(new Error('injected: the release target failed')) : target.releaser.release(jobId, generation)),
      // As Lambda's on-failure destination record: the event, and why it failed.
      onReleaseFailed: async (jobId, generation, error) => {
        const responsePayload = error instanceof Error ? { errorType: error.name, errorMessage: error.message } : { errorMessage: String(error) };
        const record = { version: '1.0', timestamp: new Date().toISOString(), requestContext: { condition: 'RetriesExhausted', functionArn: `conveyor-${stage}-scheduler-target` }, requestPayload: { jobId, ...(generation ? { generation } : {}) }, responsePayload };
        await clients.sqs.send(new SendMessageCommand({ QueueUrl: releaseFailures.url, MessageBody: JSON.stringify(record) }));
      },
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.dataDir ? { storePath: join(options.dataDir, 'schedules.json') } : {}),
    });
    const target = buildSchedulerTarget(config, clients, logger.child({ fn: 'scheduler-target' }), { scheduler, definitions: recurring });
    const recurringRuns: { name: string; scheduledAt: string; jobId: string }[] = [];
    for (const definition of recurring) {
      scheduler.addRecurring({
        id: definition.name,
        next: (after) => nextCronTime(definition.schedule, after),
        fire: async (scheduledAt) => {
          const run = await target.recurring.run({ recurring: definition.name, scheduledAt: new Date(scheduledAt).toISOString() });
          recurringRuns.push({ name: definition.name, scheduledAt: new Date(scheduledAt).toISOString(), jobId: run.jobId });
        },
      });
    }
    notices.push(...scheduler.recurringEntries.map((e) => {
      const tenant = recurring.find((r) => r.name === e.id)?.tenant;
      const key = localKeys.find((k) => k.principal.tenant === tenant)?.key;
      return `cron ${e.id}: next run ${e.nextAt.toISOString()}, enqueued as tenant "${tenant}" (see its jobs with key ${key})`;
    }));
    // The recovery sweep, as the EventBridge rule runs it on AWS: every minute of the scheduler's clock.
    const sweep = buildRecoverySweep(config, clients, logger.child({ fn: 'sweep' }), { scheduler, now: () => new Date(scheduler.clock.now()) });
    scheduler.addPeriodic({ id: 'recovery-sweep', everyMs: 60_000, run: () => sweep.run() });
    // The API's death before a send is injected into its queue: only an API in this process has one.
    if (threads && options.faults?.apiDiesBeforeSend) throw new Error('faults.apiDiesBeforeSend needs the API in this process (threads: false)');
    const apiQueue = options.faults?.apiDiesBeforeSend ? dyingQueue(createJobQueue(config, clients), options.faults.apiDiesBeforeSend) : undefined;
    const apiFunctionName = `conveyor-${stage}-api`;
    const dashboard = options.dashboard === false ? undefined : {
      defaultApiKey: LOCAL_API_KEYS[0]!.key,
      keys: localKeys.map(({ key, principal }) => ({ key, tenant: principal.tenant, scopes: principal.scopes })),
      jobTypes: [...JOB_TYPES],
    };
    let api: LocalHttpApiHandle;
    if (threads) {
      api = await listening('api', startApiThread(
        { env: environment, forwardLogs: options.writeLog !== undefined, functionName: apiFunctionName, ...(options.apiPort !== undefined ? { port: options.apiPort } : {}), ...(dashboard ? { dashboard } : {}) },
        { scheduler, ...(options.writeLog ? { writeLog: options.writeLog } : {}) },
      ));
    } else {
      const lambdaHandler = httpApiHandler(buildApiApp(config, clients, logger.child({ fn: 'api' }), { scheduler, limiter: createRateLimiter(config), ...(apiQueue ? { queue: apiQueue } : {}) }).fetch);
      const apiHandler: HttpApiHandler = timed(apiFunctionName, lambdaHandler, options.observe);
      api = await listening('api', serveHttpApi(apiHandler, { functionName: apiFunctionName, ...(options.apiPort !== undefined ? { port: options.apiPort } : {}), ...(dashboard ? { localRoutes: dashboardRoutes(dashboard) } : {}) }));
    }
    closers.unshift(() => api.close());

    const limiter = createRateLimiter(config);
    // One process runs every type, so it builds every capability's port, on the shared clients.
    const model = { ...modelPort(config), ...(options.textModel ? { model: options.textModel } : {}) };
    const real = createJobHandlers({
      ...corePorts(config, clients, { limiter, ...(options.aiAnalysis ? { optional: { model } } : {}) }),
      email: emailPort(config, clients.ses),
      blobs: blobsPort(config, clients.s3),
      model,
      inbox: inboxPort(config, clients),
      enqueue: enqueuePort(config, clients, logger.child({ fn: 'worker-notification' })),
    });
    const handlers = { ...real, ...(typeof options.handlers === 'function' ? options.handlers(real) : options.handlers) } as JobHandlers;
    const mappings = {} as Record<JobType, SqsEventSourceMapping>;
    const laneMappings: Record<string, SqsEventSourceMapping> = {};
    for (const type of JOB_TYPES) {
      const { settings } = jobRegistry[type];
      const providerLimit = limits?.providers?.[type];
      // One event source per lane (priority queue), as on AWS. Each lane's consumer sees its own
      // queue as the type's queue, so retries and throttling change visibility on (and requeue to)
      // the queue the message came from.
      for (const lane of lanes[type]) {
        const laneConfig = { ...config, CONVEYOR_QUEUE_URLS: { ...config.CONVEYOR_QUEUE_URLS, [type]: lane.url } };
        const consumer = buildConsumerHandler(jobRegistry[type], handlers[type] as JobHandler<unknown>, laneConfig, clients, logger.child({ fn: `worker-${type}`, priority: lane.priority }), {
          limiter,
          ...(providerLimit ? { providerLimit } : {}),
        });
        const mapping = new SqsEventSourceMapping({
          client: clients.sqs,
          queueUrl: lane.url,
          queueArn: lane.arn,
          functionName: workerName(type),
          handler: timed(workerName(type), consumer, options.observe),
          batchSize: settings.batchSize,
          batchingWindowSeconds: settings.batchingWindowSeconds,
          maxConcurrency: lane.maxConcurrency,
          functionTimeoutSeconds: settings.timeoutSeconds,
          logger,
          ...(options.pollWaitSeconds !== undefined ? { waitTimeSeconds: options.pollWaitSeconds } : {}),
        });
        laneMappings[lane.key] = mapping;
        if (lane.priority === 'normal') mappings[type] = mapping;
        // Started by the local Lambda API, unless the type was paused before a restart.
        lambda.register({
          uuid: localMappingUuid(workerName(type), lane.arn),
          functionName: workerName(type),
          eventSourceArn: lane.arn,
          batchSize: settings.batchSize,
          batchingWindowSeconds: settings.batchingWindowSeconds,
          maxConcurrency: lane.maxConcurrency,
          mapping,
        });
      }
    }
    // The webhook consumer: its own queue and event source, as a separate Lambda on AWS.
    const webhookMapping = new SqsEventSourceMapping({
      client: clients.sqs,
      queueUrl: webhookQueue.url,
      queueArn: webhookQueue.arn,
      functionName: `conveyor-${stage}-webhooks`,
      handler: buildWebhookWorker(config, webhookSigningKey, clients, logger.child({ fn: 'webhooks' }), {
        ...(options.webhooks?.maxAttempts ? { maxAttempts: options.webhooks.maxAttempts } : {}),
        ...(options.webhooks?.backoff ? { backoff: options.webhooks.backoff } : {}),
      }),
      batchSize: 10,
      batchingWindowSeconds: 0,
      maxConcurrency: 2,
      functionTimeoutSeconds: 10,
      logger,
      ...(options.pollWaitSeconds !== undefined ? { waitTimeSeconds: options.pollWaitSeconds } : {}),
    });
    laneMappings.webhooks = webhookMapping;
    webhookMapping.start();
    // The redrive consumer: one nudge per invocation, as the CDK sets it (batch size 1).
    const redriveDies = options.faults?.redriveDies;
    const redrive = buildRedriveConsumer(config, clients, logger.child({ fn: 'redrive' }), {
      ...(options.redrive?.settings ? { settings: options.redrive.settings } : {}),
      ...(redriveDies ? { wrapSource: (source: RedriveSource) => dyingRedriveSource(source, redriveDies) } : {}),
    });
    const redriveMapping = new SqsEventSourceMapping({
      client: clients.sqs,
      queueUrl: redriveQueue.url,
      queueArn: redriveQueue.arn,
      functionName: `conveyor-${stage}-redrive`,
      handler: timed(`conveyor-${stage}-redrive`, redrive.handler, options.observe),
      batchSize: 1,
      batchingWindowSeconds: 0,
      maxConcurrency: REDRIVE_CONSUMER.maxConcurrency,
      functionTimeoutSeconds: options.redrive?.timeoutSeconds ?? REDRIVE_CONSUMER.timeoutSeconds,
      logger,
      ...(options.pollWaitSeconds !== undefined ? { waitTimeSeconds: options.pollWaitSeconds } : {}),
    });
    laneMappings.redrive = redriveMapping;
    redriveMapping.start();
    // Pollers stop first (finishing their invocations), then the API, then the servers.
    closers.unshift(async () => {
      const graceMs = options.shutdownGraceMs ?? 10_000;
      const handedBack = await Promise.all(Object.values(laneMappings).map((m) => m.stop({ graceMs })));
      const returned = handedBack.reduce((sum, n) => sum + n, 0);
      if (returned > 0) logger.warn(`stop: ${returned} message(s) of jobs still running after ${graceMs} ms went back to their queues`);
    });
    // The scheduler stops before the pollers: nothing new is released into a stopping cloud.
    scheduler.start();
    closers.unshift(() => scheduler.stop());

    let stopped: Promise<void> | undefined;
    return {
      apiUrl: api.url,
      ...(dashboard ? { dashboardUrl: `${api.url}${DASHBOARD_PATH}/` } : {}),
      apiKey: LOCAL_API_KEYS[0]!.key,
      apiKeys: localKeys,
      config,
      endpoints: { dynamodb: dynamo.endpoint, sqs: sqs.endpoint, ses: ses.endpoint, s3: s3.endpoint, lambda: lambda.endpoint },
      inbox: { url: ses.inboxUrl, storeUrl: ses.storeUrl },
      queues,
      mappings,
      lanes: laneMappings,
      scheduler,
      releaseFailures,
      sweep,
      recurringRuns,
      ...(upstash.server ? { upstash: { url: upstash.server.url, token: upstash.server.token } } : {}),
      notices,
      threads: [dynamo, sqs, api].flatMap((part) => ('thread' in part && part.thread ? [part.thread] : [])),
      stop: () => (stopped ??= closeAll()),
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The handler, timed for the observer when there is one (untouched otherwise). */
function timed<E, C, R>(functionName: string, handler: (event: E, context: C) => Promise<R>, observe: LocalCloudObserver | undefined): (event: E, context: C) => Promise<R> {
  const report = observe?.invocation;
  if (!report) return handler;
  return async (event, context) => {
    const started = performance.now();
    try {
      return await handler(event, context);
    } finally {
      report(functionName, performance.now() - started);
    }
  };
}

/** A redrive source whose consumer dies (its invocation throws) before putting back a job the fault names. */
function dyingRedriveSource(real: RedriveSource, dies: (jobId: string) => boolean): RedriveSource {
  return {
    page: (after, limit) => real.page(after, limit),
    requeue: async (jobId, task) => {
      if (dies(jobId)) throw new Error(`injected: the redrive consumer died before putting back ${jobId}`);
      return real.requeue(jobId, task);
    },
  };
}

/** The API's queue, dying (never answering) at the send of a job the fault names: a `kill -9` after the record write. */
function dyingQueue(real: SqsJobQueue, dies: (jobId: string) => boolean): Pick<SqsJobQueue, 'send' | 'sendBatch' | 'changeVisibility'> {
  const never = new Promise<never>(() => undefined);
  return {
    send: (message, sendOptions) => (dies(message.jobId) ? never : real.send(message, sendOptions)),
    sendBatch: (entries) => (entries.some((entry) => dies(entry.message.jobId)) ? never : real.sendBatch(entries)),
    changeVisibility: (type, receiptHandle, seconds, sourceArn) => real.changeVisibility(type, receiptHandle, seconds, sourceArn),
  };
}

async function runClosers(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers) await close().catch(() => undefined);
}
