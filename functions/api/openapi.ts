import * as z from 'zod';
import { enqueueRequestSchema } from '../../shared/jobs/registry.js';
import { flowChildSchema, flowRequestSchema, MAX_FLOW_CHILDREN, MAX_FLOW_DEPTH } from '../../shared/jobs/flow.js';
import {
  analyzeAcceptedSchema,
  analyzeViewSchema,
  batchRefusedBody,
  batchResultSchema,
  deadLettersSchema,
  enqueuedSchema,
  errorBody,
  flowChildViewSchema,
  flowEnqueuedSchema,
  gatewayTooLargeSchema,
  pauseStateSchema,
  healthSchema,
  jobPageSchema,
  jobViewSchema,
  notificationPageSchema,
  notificationPreferencesSchema,
  notificationViewSchema,
  queueHealthSchema,
  queueOverviewSchema,
  readAllSchema,
  redriveAcceptedSchema,
  redriveTaskViewSchema,
  redriveStatusSchema,
  webhookDeadLettersSchema,
  webhookRedriveOutcomeSchema,
  webhookRedriveStatusSchema,
} from './contract.js';
import { MAX_BATCH_JOBS } from './batch-enqueue.js';
import { IDEMPOTENCY_KEY } from './idempotent-enqueue.js';
import { batchBody } from './routes/batch.js';
import { listQuery, retryBody } from './routes/job-admin.js';
import { editBody, JOB_ID } from './routes/jobs.js';
import { dlqQuery, overviewQuery } from './routes/queues.js';
import { notificationListQuery, preferencesBody, readAllQuery } from './routes/notifications.js';
import { userId } from '../../shared/jobs/notification.js';
import { CORRELATION_HEADER, CORRELATION_ID_PATTERN, MAX_CORRELATION_ID_LENGTH } from '../../shared/domain/correlation.js';
import { analysisJob } from '../../shared/jobs/analysis.js';

/*
 * The OpenAPI 3.1 document, generated with zod 4's own `z.toJSONSchema` from the schemas the routes
 * validate with (requests) and functions/api/contract.ts (responses). Chosen over @hono/zod-openapi:
 * no dependency, and the routes keep their validation as it is, rather than being rewritten as
 * OpenAPI route definitions. The price is this table of routes, which a test checks against the
 * app's real routes (test/unit/api/openapi.test.ts), so a route cannot be left out.
 * `npm run openapi` writes it to openapi.json; GET /v1/openapi.json serves it.
 */

type JsonSchema = Record<string, unknown>;
type Codes = readonly [string, ...string[]];

interface Operation {
  readonly method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly tag: 'jobs' | 'operators' | 'service' | 'analyze' | 'notifications';
  /**
   * `none`: no key; `jobs`: any key; `admin`: a key with the admin or operator scope (the caller's
   * own tenant); `operator`: a key with the operator scope (routes that span every tenant).
   */
  readonly auth: 'none' | 'jobs' | 'admin' | 'operator';
  readonly pathParams?: Readonly<Record<string, JsonSchema & { description: string }>>;
  readonly query?: z.ZodObject;
  readonly headers?: readonly JsonSchema[];
  readonly body?: { readonly ref: string; readonly required: boolean };
  /** Success statuses → component name (or an inline schema) and a description. */
  readonly ok: Readonly<Record<number, { readonly ref: string; readonly description: string; readonly headers?: Record<string, JsonSchema> }>>;
  /** Error statuses → the codes that route answers with. */
  readonly errors: Readonly<Record<number, Codes | 'any'>>;
}

const JOB_ID_PARAM = { type: 'string', pattern: JOB_ID.source, description: 'the job id (a UUID)' };
const USER_ID_PARAM = { ...inline(userId, 'input'), description: "the user's id in the tenant's own terms" } as JsonSchema & { description: string };
const TYPE_PARAM = { type: 'string', description: 'a job type' };
const IDEMPOTENCY_HEADER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: 'The same key with the same body returns the same job (200, idempotent-replayed: true); with another body, 409',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
};
const CORRELATION_PARAM = {
  name: CORRELATION_HEADER,
  in: 'header',
  required: false,
  description: "The caller's id for the log lines of everything this request sets off, echoed in the response and shown on the job; if absent or invalid, the API request id",
  schema: { type: 'string', maxLength: MAX_CORRELATION_ID_LENGTH, pattern: CORRELATION_ID_PATTERN.source },
};
const RETRY_AFTER = { 'Retry-After': { description: 'seconds to wait before trying again', schema: { type: 'string' } } };

/** Error statuses every authenticated route can answer. */
const AUTHENTICATED = { 401: ['UNAUTHENTICATED'], 500: 'any', 503: ['SERVICE_UNAVAILABLE'] } as const;
const BODY_ERRORS = { 400: ['VALIDATION_FAILED', 'INVALID_JSON'], 413: ['PAYLOAD_TOO_LARGE'], 415: ['UNSUPPORTED_MEDIA_TYPE'] } as const;

const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/v1/health', operationId: 'health', summary: 'Liveness, and the stage', tag: 'service', auth: 'none', ok: { 200: { ref: 'Health', description: 'up' } }, errors: { 500: 'any' } },
  { method: 'get', path: '/v1/openapi.json', operationId: 'openapi', summary: 'This document', tag: 'service', auth: 'none', ok: { 200: { ref: 'OpenApiDocument', description: 'the OpenAPI 3.1 document' } }, errors: { 500: 'any' } },
  {
    method: 'post',
    path: '/v1/jobs',
    operationId: 'enqueueJob',
    summary: 'Enqueue a job',
    tag: 'jobs',
    auth: 'jobs',
    headers: [IDEMPOTENCY_HEADER, CORRELATION_PARAM],
    body: { ref: 'EnqueueRequest', required: true },
    ok: {
      202: { ref: 'Enqueued', description: 'accepted', headers: { Location: { description: 'the job', schema: { type: 'string' } } } },
      200: { ref: 'Enqueued', description: 'an Idempotency-Key replay: the job that key already made', headers: { 'idempotent-replayed': { schema: { type: 'string', const: 'true' } } } },
    },
    errors: { ...BODY_ERRORS, ...AUTHENTICATED, 409: ['IDEMPOTENCY_KEY_MISMATCH', 'IDEMPOTENCY_KEY_IN_PROGRESS'], 429: ['RATE_LIMITED'] },
  },
  {
    method: 'post',
    path: '/v1/flows',
    operationId: 'enqueueFlow',
    summary: 'Enqueue a parent job that runs once all its children have ended, with their results',
    tag: 'jobs',
    auth: 'jobs',
    body: { ref: 'FlowRequest', required: true },
    ok: { 202: { ref: 'FlowEnqueued', description: 'accepted: the children are queued, the parent waits for them', headers: { Location: { description: 'the parent', schema: { type: 'string' } } } } },
    errors: { ...BODY_ERRORS, ...AUTHENTICATED, 429: ['RATE_LIMITED'] },
  },
  {
    method: 'get',
    path: '/v1/jobs',
    operationId: 'listJobs',
    summary: "The caller's jobs, newest first",
    tag: 'jobs',
    auth: 'jobs',
    query: listQuery,
    ok: { 200: { ref: 'JobPage', description: 'one page' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED },
  },
  {
    method: 'post',
    path: '/v1/jobs:batch',
    operationId: 'enqueueBatch',
    summary: 'Enqueue up to 100 jobs',
    tag: 'jobs',
    auth: 'jobs',
    headers: [CORRELATION_PARAM],
    body: { ref: 'BatchRequest', required: true },
    ok: { 202: { ref: 'BatchResult', description: 'every job accepted' }, 207: { ref: 'BatchResult', description: 'some jobs accepted; each result says which' } },
    // No job accepted: the request's own error, or the items' (the body then has the results too).
    errors: { ...BODY_ERRORS, 400: ['VALIDATION_FAILED', 'INVALID_JSON', 'BATCH_REFUSED'], ...AUTHENTICATED, 409: ['IDEMPOTENCY_KEY_MISMATCH', 'IDEMPOTENCY_KEY_IN_PROGRESS'], 429: ['RATE_LIMITED'] },
  },
  {
    method: 'get',
    path: '/v1/jobs/{jobId}',
    operationId: 'getJob',
    summary: 'A job: status, progress, result or error',
    tag: 'jobs',
    auth: 'jobs',
    pathParams: { jobId: JOB_ID_PARAM },
    ok: { 200: { ref: 'JobView', description: 'the job (with a download for a finished PDF)' } },
    errors: { ...AUTHENTICATED, 404: ['NOT_FOUND'] },
  },
  {
    method: 'patch',
    path: '/v1/jobs/{jobId}',
    operationId: 'editJob',
    summary: 'Edit a job that has not started: its payload, runAt or priority',
    tag: 'jobs',
    auth: 'jobs',
    pathParams: { jobId: JOB_ID_PARAM },
    body: { ref: 'EditRequest', required: true },
    ok: { 200: { ref: 'JobView', description: 'edited: it runs once, with the edit' } },
    errors: { ...BODY_ERRORS, ...AUTHENTICATED, 404: ['NOT_FOUND'], 409: ['JOB_STARTED', 'JOB_FINISHED', 'JOB_CHANGED', 'JOB_ORDERED', 'JOB_WAITING_FOR_CHILDREN'] },
  },
  {
    method: 'delete',
    path: '/v1/jobs/{jobId}',
    operationId: 'cancelJob',
    summary: 'Cancel a job',
    tag: 'jobs',
    auth: 'jobs',
    pathParams: { jobId: JOB_ID_PARAM },
    ok: { 200: { ref: 'JobView', description: 'cancelled' }, 202: { ref: 'JobView', description: 'running: it stops at its next progress report' } },
    errors: { ...AUTHENTICATED, 404: ['NOT_FOUND'], 409: ['JOB_FINISHED'] },
  },
  {
    method: 'post',
    path: '/v1/jobs/{jobId}/retry',
    operationId: 'retryJob',
    summary: 'Put a DEAD or FAILED job back to QUEUED, optionally with an edited payload',
    tag: 'operators',
    auth: 'admin',
    pathParams: { jobId: JOB_ID_PARAM },
    body: { ref: 'RetryRequest', required: false },
    ok: { 202: { ref: 'JobView', description: 'queued again' } },
    errors: { ...BODY_ERRORS, ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['NOT_RETRYABLE'] },
  },
  {
    method: 'get',
    path: '/v1/queues',
    operationId: 'queueOverview',
    summary: 'Per job type: queue and DLQ depths, waiting and held jobs, jobs by status',
    tag: 'operators',
    auth: 'admin',
    query: overviewQuery,
    ok: { 200: { ref: 'QueueOverview', description: 'the overview' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED, 403: ['FORBIDDEN'] },
  },
  {
    method: 'get',
    path: '/v1/queues/webhooks/dlq',
    operationId: 'listWebhookDeadLetters',
    summary: 'Completion webhook deliveries that failed every attempt, waiting in the webhooks DLQ',
    tag: 'operators',
    auth: 'operator',
    query: dlqQuery,
    ok: { 200: { ref: 'WebhookDeadLetters', description: 'one page' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] },
  },
  {
    method: 'post',
    path: '/v1/queues/webhooks/redrive',
    operationId: 'redriveWebhooks',
    summary: 'Move every message of the webhooks DLQ back: each delivery is attempted again, freshly signed',
    tag: 'operators',
    auth: 'operator',
    ok: { 202: { ref: 'WebhookRedriveOutcome', description: 'moving' }, 200: { ref: 'WebhookRedriveOutcome', description: 'nothing to move' } },
    errors: { ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['REDRIVE_IN_PROGRESS', 'REDRIVE_TOO_LARGE'] },
  },
  {
    method: 'get',
    path: '/v1/queues/webhooks/redrive',
    operationId: 'webhookRedriveStatus',
    summary: 'The latest redrive of the webhooks DLQ',
    tag: 'operators',
    auth: 'operator',
    ok: { 200: { ref: 'WebhookRedriveStatus', description: 'the latest move task, or null' } },
    errors: { ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] },
  },
  {
    method: 'get',
    path: '/v1/queues/{type}/dlq',
    operationId: 'listDeadLetters',
    summary: 'The dead jobs of a type',
    tag: 'operators',
    auth: 'operator',
    pathParams: { type: TYPE_PARAM },
    query: dlqQuery,
    ok: { 200: { ref: 'DeadLetters', description: 'one page' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] },
  },
  {
    method: 'post',
    path: '/v1/queues/{type}/redrive',
    operationId: 'redrive',
    summary: "Start a redrive of a type's DLQ: a task that puts the dead jobs back, then moves the messages (follow it with GET)",
    tag: 'operators',
    auth: 'operator',
    pathParams: { type: TYPE_PARAM },
    ok: { 202: { ref: 'RedriveAccepted', description: 'the task is recorded; the redrive consumer carries it out', headers: { Location: { description: 'its progress', schema: { type: 'string' } } } } },
    errors: { ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 409: ['REDRIVE_IN_PROGRESS'] },
  },
  {
    method: 'post',
    path: '/v1/queues/{type}/pause',
    operationId: 'pauseQueue',
    summary: "Pause a type's consumer: jobs keep queuing, none starts until it is resumed",
    tag: 'operators',
    auth: 'operator',
    pathParams: { type: TYPE_PARAM },
    ok: { 200: { ref: 'PauseState', description: 'paused (again: idempotent), since when and by which key' } },
    errors: { ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 501: ['NOT_IMPLEMENTED'] },
  },
  {
    method: 'post',
    path: '/v1/queues/{type}/resume',
    operationId: 'resumeQueue',
    summary: "Resume a paused type's consumer",
    tag: 'operators',
    auth: 'operator',
    pathParams: { type: TYPE_PARAM },
    ok: { 200: { ref: 'PauseState', description: 'running (again: idempotent)' } },
    errors: { ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'], 501: ['NOT_IMPLEMENTED'] },
  },
  {
    method: 'get',
    path: '/v1/queues/{type}/redrive',
    operationId: 'redriveStatus',
    summary: "The latest redrive task of a type's DLQ, with its progress",
    tag: 'operators',
    auth: 'operator',
    pathParams: { type: TYPE_PARAM },
    ok: { 200: { ref: 'RedriveStatus', description: 'the latest redrive task, or null' } },
    errors: { ...AUTHENTICATED, 403: ['FORBIDDEN'], 404: ['NOT_FOUND'] },
  },
  {
    method: 'post',
    path: '/v1/analyze',
    operationId: 'analyze',
    summary: 'Enqueue an analysis job (the analyze API: BullMQ state names)',
    tag: 'analyze',
    auth: 'jobs',
    headers: [IDEMPOTENCY_HEADER, CORRELATION_PARAM],
    body: { ref: 'AnalyzeRequest', required: true },
    ok: {
      202: { ref: 'AnalyzeAccepted', description: 'accepted', headers: { Location: { description: 'the analysis', schema: { type: 'string' } } } },
      200: { ref: 'AnalyzeAccepted', description: 'an Idempotency-Key replay', headers: { 'idempotent-replayed': { schema: { type: 'string', const: 'true' } } } },
    },
    errors: { ...BODY_ERRORS, ...AUTHENTICATED, 409: ['IDEMPOTENCY_KEY_MISMATCH', 'IDEMPOTENCY_KEY_IN_PROGRESS'], 429: ['RATE_LIMITED'] },
  },
  {
    method: 'get',
    path: '/v1/analyze/{jobId}',
    operationId: 'getAnalysis',
    summary: 'An analysis job: state, progress, and the analysis once completed',
    tag: 'analyze',
    auth: 'jobs',
    pathParams: { jobId: JOB_ID_PARAM },
    ok: { 200: { ref: 'AnalyzeView', description: 'the analysis' } },
    errors: { ...AUTHENTICATED, 404: ['NOT_FOUND'] },
  },
  {
    method: 'get',
    path: '/queue/health',
    operationId: 'analysisQueueHealth',
    summary: "The analysis queue's depths (no tenant data)",
    tag: 'analyze',
    auth: 'none',
    ok: { 200: { ref: 'QueueHealth', description: 'healthy, or degraded while dead letters wait' }, 503: { ref: 'QueueHealth', description: 'the queue could not be read' } },
    errors: { 500: 'any' },
  },
  {
    method: 'get',
    path: '/v1/notifications',
    operationId: 'listNotifications',
    summary: "A user's notifications, newest first",
    tag: 'notifications',
    auth: 'jobs',
    query: notificationListQuery,
    ok: { 200: { ref: 'NotificationPage', description: 'one page' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED },
  },
  {
    method: 'post',
    path: '/v1/notifications/read-all',
    operationId: 'markAllNotificationsRead',
    summary: "Mark a user's unread notifications read (up to 500 per call)",
    tag: 'notifications',
    auth: 'jobs',
    query: readAllQuery,
    ok: { 200: { ref: 'ReadAll', description: 'how many were marked' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED },
  },
  {
    method: 'post',
    path: '/v1/notifications/{id}/read',
    operationId: 'markNotificationRead',
    summary: 'Mark one notification read',
    tag: 'notifications',
    auth: 'jobs',
    pathParams: { id: { type: 'string', description: 'the notification id' } },
    ok: { 200: { ref: 'Notification', description: 'the notification, read' } },
    errors: { ...AUTHENTICATED, 404: ['NOT_FOUND'] },
  },
  {
    method: 'get',
    path: '/v1/notifications/preferences/{userId}',
    operationId: 'getNotificationPreferences',
    summary: "A user's e-mail preference (off unless set)",
    tag: 'notifications',
    auth: 'jobs',
    pathParams: { userId: USER_ID_PARAM },
    ok: { 200: { ref: 'NotificationPreferences', description: 'the preference' } },
    errors: { 400: ['VALIDATION_FAILED'], ...AUTHENTICATED },
  },
  {
    method: 'put',
    path: '/v1/notifications/preferences/{userId}',
    operationId: 'putNotificationPreferences',
    summary: "Set a user's e-mail preference",
    tag: 'notifications',
    auth: 'jobs',
    pathParams: { userId: USER_ID_PARAM },
    body: { ref: 'NotificationPreferencesRequest', required: true },
    ok: { 200: { ref: 'NotificationPreferences', description: 'the preference as stored' } },
    errors: { ...BODY_ERRORS, ...AUTHENTICATED },
  },
];

const ERROR_DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'the request is not valid; issues name each field',
  401: 'no API key, or an unknown or revoked one',
  403: 'the key lacks the scope the route needs',
  404: 'no such job, job type or route',
  409: 'a conflict with the job or key in its current state',
  413: 'the body is too large',
  415: 'the body is not application/json',
  429: "the tenant's enqueue budget is spent; nothing was accepted",
  500: 'an internal error',
  501: 'the server has no way to do this (pausing is not configured)',
  503: 'a dependency is unavailable; nothing was accepted',
};

/** The request bodies: each batch item is an enqueue request that may carry its own idempotencyKey. */
function requestComponents(): Record<string, z.ZodType> {
  const idempotencyKey = z.string().regex(IDEMPOTENCY_KEY).optional().describe('as the Idempotency-Key header of POST /v1/jobs, for this job');
  const batchItem = z.discriminatedUnion(
    'type',
    enqueueRequestSchema.options.map((variant) => variant.extend({ idempotencyKey })) as unknown as [z.ZodObject, ...z.ZodObject[]],
  );
  return {
    EnqueueRequest: enqueueRequestSchema.describe('A job: its type, its payload (checked by the type\'s schema) and when to run it'),
    BatchRequest: batchBody.extend({ jobs: z.array(batchItem).min(1).max(MAX_BATCH_JOBS) }).describe(`Up to ${MAX_BATCH_JOBS} jobs; each is validated on its own`),
    FlowRequest: flowRequestSchema.describe(`A parent job and its children (each checked by its type's schema): up to ${MAX_FLOW_CHILDREN} children in all, nested at most ${MAX_FLOW_DEPTH} levels`),
    FlowChild: flowChildSchema,
    RetryRequest: retryBody,
    EditRequest: editBody.describe('At least one of payload, runAt, priority'),
    AnalyzeRequest: analysisJob.payload.describe('An analysis job payload, as in POST /v1/jobs with type analysis'),
    NotificationPreferencesRequest: preferencesBody,
  };
}

function responseComponents(): Record<string, z.ZodType> {
  return {
    Health: healthSchema,
    Enqueued: enqueuedSchema,
    FlowEnqueued: flowEnqueuedSchema,
    FlowChildView: flowChildViewSchema,
    JobView: jobViewSchema,
    JobPage: jobPageSchema,
    BatchResult: batchResultSchema,
    QueueOverview: queueOverviewSchema,
    DeadLetters: deadLettersSchema,
    RedriveAccepted: redriveAcceptedSchema,
    RedriveTask: redriveTaskViewSchema,
    RedriveStatus: redriveStatusSchema,
    WebhookDeadLetters: webhookDeadLettersSchema,
    WebhookRedriveOutcome: webhookRedriveOutcomeSchema,
    WebhookRedriveStatus: webhookRedriveStatusSchema,
    PauseState: pauseStateSchema,
    AnalyzeAccepted: analyzeAcceptedSchema,
    AnalyzeView: analyzeViewSchema,
    QueueHealth: queueHealthSchema,
    Notification: notificationViewSchema,
    NotificationPage: notificationPageSchema,
    ReadAll: readAllSchema,
    NotificationPreferences: notificationPreferencesSchema,
  };
}

/** Converts named schemas into components, references between them as `#/components/schemas/<name>`. */
function components(named: Record<string, z.ZodType>, io: 'input' | 'output'): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { target: 'draft-2020-12', io, unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }) as { schemas: Record<string, JsonSchema> };
  return Object.fromEntries(Object.entries(schemas).map(([id, schema]) => [id, withoutDialect(schema)]));
}

function inline(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  return withoutDialect(z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema);
}

/** Drops `$schema` (the document's jsonSchemaDialect says it) and the registry's `$id` (a fragment, not a valid id). */
function withoutDialect(schema: JsonSchema): JsonSchema {
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return rest;
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: Record<string, unknown>;
  readonly paths: Record<string, Record<string, unknown>>;
  readonly components: Record<string, unknown>;
  readonly [key: string]: unknown;
}

/** The routes the document describes, for the test that compares them with the app's. */
export const DOCUMENTED_ROUTES: readonly { readonly method: string; readonly path: string }[] = OPERATIONS.map(({ method, path }) => ({ method, path }));

export function buildOpenApiDocument(): OpenApiDocument {
  const errorSchemas: Record<string, JsonSchema> = {};
  const errorRef = (codes: Codes | 'any', kind: 'Error' | 'BatchRefused' = 'Error') => {
    const name = codes === 'any' ? kind : `${kind}_${codes.join('_')}`;
    errorSchemas[name] ??= inline(kind === 'Error' ? errorBody(codes) : batchRefusedBody(codes), 'output');
    return ref(name);
  };
  /** The statuses a batch of which no job was accepted answers with (routes/batch.ts refusedStatus). */
  const batchRefusals = new Set(['400', '409', '413', '500', '503']);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters = [
      ...Object.entries(op.pathParams ?? {}).map(([name, { description, ...schema }]) => ({ name, in: 'path', required: true, description, schema })),
      ...Object.entries((inline(op.query ?? z.object({}), 'input').properties ?? {}) as Record<string, JsonSchema>).map(([name, schema]) => ({
        name,
        in: 'query',
        required: false,
        ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
        schema,
      })),
      ...(op.headers ?? []),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, ok] of Object.entries(op.ok)) {
      responses[status] = { description: ok.description, ...(ok.headers ? { headers: ok.headers } : {}), content: { 'application/json': { schema: ref(ok.ref) } } };
    }
    for (const [status, codes] of Object.entries(op.errors)) {
      const ours = op.operationId === 'enqueueBatch' && batchRefusals.has(status) ? [errorRef(codes), errorRef(codes, 'BatchRefused')] : [errorRef(codes)];
      // A body too large for the function's event is refused by API Gateway itself (routes/jobs.ts MAX_BODY_BYTES).
      if (status === '413') errorSchemas.GatewayTooLarge ??= inline(gatewayTooLargeSchema, 'output');
      const options = status === '413' ? [...ours, ref('GatewayTooLarge')] : ours;
      const schema = options.length === 1 ? options[0] : { oneOf: options };
      responses[status] = {
        description: ERROR_DESCRIPTIONS[Number(status)] ?? 'an error',
        ...(status === '429' || status === '503' ? { headers: RETRY_AFTER } : {}),
        content: { 'application/json': { schema } },
      };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      tags: [op.tag],
      ...(op.auth === 'none' ? { security: [] } : {}),
      ...(op.auth === 'admin' ? { description: 'Needs an API key with the admin or operator scope.' } : {}),
      ...(op.auth === 'operator' ? { description: 'Needs an API key with the operator scope: it spans every tenant.' } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body ? { requestBody: { required: op.body.required, content: { 'application/json': { schema: ref(op.body.ref) } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Conveyor',
      version: '1',
      description: 'A serverless job queue: enqueue jobs of the registered types, follow them to their result, operate their queues.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ apiKey: [] }],
    tags: [
      { name: 'jobs', description: 'Enqueue and follow jobs' },
      { name: 'operators', description: 'Queues, dead letters, redrive, retry, pause and resume (admin or operator scope)' },
      { name: 'service', description: 'Health and this document' },
      { name: 'analyze', description: 'The analyze API over analysis jobs, in BullMQ state names' },
      { name: 'notifications', description: "Users' notification inboxes and e-mail preferences" },
    ],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key: Authorization: Bearer <key>' } },
      schemas: {
        ...components(requestComponents(), 'input'),
        ...components(responseComponents(), 'output'),
        OpenApiDocument: { type: 'object', description: 'An OpenAPI 3.1 document', required: ['openapi', 'paths'] },
        ...errorSchemas,
      },
    },
  };
}
