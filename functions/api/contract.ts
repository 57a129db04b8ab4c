import * as z from 'zod';
import { JOB_STATUSES } from '../../shared/domain/status.js';
import { WEBHOOK_ERROR_CLASSES, WEBHOOK_STATES } from '../../shared/domain/webhook-log.js';
import { JOB_TYPES } from '../../shared/jobs/registry.js';
import { RESULT_INLINE_BYTES } from '../job-data/job-data.js';
import type { NotificationKind } from '../../shared/jobs/notification.js';

/*
 * The API's responses as zod schemas: the OpenAPI document (functions/api/openapi.ts) is generated
 * from them and from the request schemas the routes validate with. Strict on purpose: every e2e
 * request is checked against the document (test/helpers/contract.ts), so a field the code adds
 * without adding it here fails the tests — the contract cannot drift from the code.
 */

const isoTime = z.string().describe('ISO 8601 date-time');
const jobType = z.enum(JOB_TYPES as [string, ...string[]]);
const jobStatus = z.enum(JOB_STATUSES);

export const issueSchema = z.object({ path: z.string().describe('where the request is wrong, e.g. payload.to.0'), message: z.string() }).strict();

/** `{error:{code,message,issues?}}`, with the codes a status carries on that route. */
export function errorBody(codes: readonly [string, ...string[]] | 'any'): z.ZodType {
  return z
    .object({
      error: z.object({ code: codes === 'any' ? z.string() : z.enum(codes), message: z.string(), issues: z.array(issueSchema).optional() }).strict(),
    })
    .strict();
}

/**
 * API Gateway's own 413, sent before the function runs: a body over the gateway's 10 MB, or one
 * whose Lambda event (the body JSON-escaped, with headers and context) would pass Lambda's 6 MB
 * invocation limit. Its body is the gateway's, not Conveyor's error shape.
 */
export const gatewayTooLargeSchema = z.object({ message: z.string() }).strict().describe("API Gateway's answer to a request too large to reach the function (no error code)");

export const downloadSchema = z
  .object({ url: z.string().describe('presigned GET, no API key needed'), expiresAt: isoTime, fileName: z.string(), contentType: z.string(), bytes: z.number().int().min(0) })
  .strict()
  .describe("A short-lived download of the job's output file (a PDF), signed when the job is read");

const storedDataRef = z
  .object({ bytes: z.number().int().min(0).describe("UTF-8 bytes of the value's JSON"), sha256: z.string().regex(/^[0-9a-f]{64}$/).describe('hex SHA-256 of those bytes') })
  .strict()
  .describe('A payload or result too large for the job record, kept in S3 under the tenant; its presigned URL comes with GET /v1/jobs/{id}');

export const storedDataLinkSchema = z
  .object({
    url: z.string().describe('presigned GET of the JSON value, no API key needed'),
    expiresAt: isoTime,
    bytes: z.number().int().min(0),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    contentType: z.literal('application/json'),
  })
  .strict()
  .describe('A short-lived download of a payload or result stored apart, signed when the job is read');

export const webhookViewSchema = z
  .object({
    state: z.enum(WEBHOOK_STATES).describe('pending: queued or due again; delivered: 2xx; failed: refused for good (4xx other than 408/429, or an address that is not public); dead-lettered: every attempt failed, waiting in the webhooks DLQ for a redrive'),
    finishedAt: isoTime.describe('the ending the webhook announces'),
    attempts: z.number().int().min(0).describe('POSTs so far, redrives included'),
    nextAttemptAt: isoTime.optional().describe('when the next attempt is due (pending after a failure)'),
    recent: z
      .array(
        z
          .object({
            at: isoTime,
            status: z.number().int().optional().describe("the receiver's HTTP status"),
            error: z.enum(WEBHOOK_ERROR_CLASSES).optional().describe('why there was no HTTP answer'),
            nextAttemptAt: isoTime.optional(),
          })
          .strict(),
      )
      .describe('the last 10 attempts, oldest first'),
  })
  .strict()
  .describe("The completion webhook's deliveries (jobs with a callbackUrl)");

export const jobViewSchema = z
  .object({
    jobId: z.string(),
    type: jobType,
    status: jobStatus,
    progress: z.number().min(0).max(100),
    progressMessage: z.string().optional(),
    attempt: z.number().int().min(0).describe('runs of the handler so far'),
    maxAttempts: z.number().int().min(1),
    payload: z.unknown().optional().describe('the payload as validated at enqueue (or at its last edit); absent when it is stored apart (payloadRef)'),
    payloadRef: storedDataRef.optional(),
    priority: z.enum(['low', 'normal', 'high']).optional().describe('job types with priorities only: the queue it runs from'),
    payloadDownload: storedDataLinkSchema.optional().describe('GET /v1/jobs/{id} only: the stored payload'),
    result: z.unknown().optional().describe(`what the type's handler returned (SUCCEEDED jobs), inline up to ${RESULT_INLINE_BYTES} bytes of JSON; larger, resultRef and resultDownload instead`),
    resultRef: storedDataRef.optional(),
    resultDownload: storedDataLinkSchema.optional().describe('GET /v1/jobs/{id} only: the stored result'),
    error: z.object({ code: z.string(), message: z.string() }).strict().optional(),
    runAt: isoTime.optional(),
    startBy: isoTime.optional().describe('with ttlSeconds: not started by then, the job ends EXPIRED without running'),
    callbackUrl: z.string().optional(),
    webhook: webhookViewSchema.optional(),
    groupKey: z.string().optional().describe('the group given at enqueue: one at a time in enqueue order on a FIFO type, a fair share on a standard one'),
    nextAttemptAt: isoTime.optional(),
    cancelRequested: z.literal(true).optional(),
    createdAt: isoTime,
    updatedAt: isoTime,
    startedAt: isoTime.optional(),
    finishedAt: isoTime.optional(),
    retainUntil: isoTime.optional().describe("when retention removes the finished job's record"),
    redriveCount: z.number().int().optional(),
    redrivenAt: isoTime.optional(),
    retryCount: z.number().int().optional(),
    retriedAt: isoTime.optional(),
    download: downloadSchema.optional(),
    tenant: z.string().optional().describe('operator routes only'),
    parentId: z.string().optional().describe("a flow's child: its parent"),
    childrenPending: z.number().int().min(0).optional().describe("a flow's parent: children that have not ended yet"),
    onChildFailure: z.literal('continue').optional().describe("a flow's parent: it runs even when a child did not succeed"),
    children: z
      .array(z.object({ jobId: z.string(), type: jobType.optional(), status: jobStatus }).strict())
      .optional()
      .describe("a flow's parent (GET only): its children and where each stands"),
    correlationId: z.string().optional().describe('the id shared by the log lines of everything the enqueue set off (the x-correlation-id header, else the API request id)'),
  })
  .strict();

export const enqueuedSchema = z.object({ jobId: z.string(), status: jobStatus, statusUrl: z.string() }).strict();

interface FlowChildView {
  readonly jobId: string;
  readonly type: string;
  readonly children?: readonly FlowChildView[];
}

export const flowChildViewSchema: z.ZodType<FlowChildView> = z
  .object({
    jobId: z.string(),
    type: jobType,
    get children() {
      return z.array(flowChildViewSchema).optional();
    },
  })
  .strict();

export const flowEnqueuedSchema = z
  .object({ jobId: z.string().describe("the parent's id"), status: jobStatus, statusUrl: z.string(), children: z.array(flowChildViewSchema).describe('the children, nested and in order as given') })
  .strict();

export const jobPageSchema = z.object({ jobs: z.array(jobViewSchema), cursor: z.string().optional().describe('pass as ?cursor= for the next page') }).strict();

const batchItemResult = z.union([
  z.object({ index: z.number().int(), jobId: z.string(), status: jobStatus, replayed: z.boolean().optional(), runAt: isoTime.optional() }).strict(),
  z.object({ index: z.number().int(), error: z.object({ code: z.string(), message: z.string(), issues: z.array(issueSchema).optional() }).strict() }).strict(),
]);
export const batchResultSchema = z.object({ accepted: z.number().int(), rejected: z.number().int(), results: z.array(batchItemResult) }).strict();
/**
 * A batch of which no job was accepted: the status and code say why (as `POST /v1/jobs` would for
 * one job, `BATCH_REFUSED` when the items were refused for different reasons), the results say it per item.
 */
export function batchRefusedBody(codes: readonly [string, ...string[]] | 'any'): z.ZodType {
  return z
    .object({
      error: z.object({ code: codes === 'any' ? z.string() : z.enum(codes), message: z.string(), issues: z.array(issueSchema).optional() }).strict(),
      accepted: z.literal(0),
      rejected: z.number().int(),
      results: z.array(batchItemResult),
    })
    .strict();
}

const queueDepth = z.object({ visible: z.number().int(), inFlight: z.number().int(), delayed: z.number().int() }).strict();
/** A redrive task's progress (functions/redrive/redrive-runner.ts): records put back in pages, then the DLQ message move. */
export const redriveTaskViewSchema = z
  .object({
    taskId: z.string(),
    queue: z.string(),
    state: z.enum(['REQUEUEING', 'MOVING', 'COMPLETED', 'FAILED']).describe('REQUEUEING: dead records go back in pages; MOVING: the DLQ messages move back'),
    createdAt: isoTime,
    updatedAt: isoTime,
    finishedAt: isoTime.optional(),
    requestedBy: z.string().optional().describe('the id of the API key that asked for it'),
    deadJobs: z.number().int().describe('dead jobs listed when it was asked for'),
    dlqMessages: z.number().int().describe('DLQ messages when it was asked for'),
    requeued: z.number().int().describe('dead records put back to QUEUED'),
    skipped: z.number().int().describe('listed records left alone: no longer dead, or dead again since the task began'),
    failures: z.number().int().describe('records that could not be put back (left dead for the next redrive), and a move that could not start'),
    pages: z.number().int(),
    move: z
      .object({
        requestedAt: isoTime,
        startedAt: isoTime.optional(),
        status: z.enum(['RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED']).optional(),
        moved: z.number().int(),
        toMove: z.number().int(),
        failureReason: z.string().optional(),
        startFailures: z.number().int().optional(),
      })
      .strict()
      .optional(),
    error: z.string().optional().describe('why it FAILED'),
  })
  .strict();

/** An SQS message move task (ListMessageMoveTasks): the webhooks DLQ's redrive is one. */
const redriveTask = z
  .object({ status: z.enum(['RUNNING', 'COMPLETED', 'CANCELLED', 'FAILED']), moved: z.number().int(), toMove: z.number().int(), startedAt: isoTime, failureReason: z.string().optional() })
  .strict();

export const queueOverviewSchema = z
  .object({
    queues: z.array(
      z
        .object({
          type: jobType,
          queue: queueDepth,
          dlq: queueDepth,
          oldestWaitingSeconds: z.number().nullable(),
          heldJobs: z.number().int(),
          nextRunAt: isoTime.nullable(),
          counts: z.partialRecord(jobStatus, z.number().int()),
          maxAttempts: z.number().int(),
          redrive: redriveTaskViewSchema.nullable(),
          paused: z.boolean().describe('its consumer is paused: jobs wait in the queue'),
          pausedAt: isoTime.nullable(),
          pausedBy: z.string().nullable().describe('the key id that paused it'),
        })
        .strict(),
    ),
    window: z.object({ minutes: z.number().int(), since: isoTime, jobsRead: z.number().int(), complete: z.boolean() }).strict(),
    webhooks: z
      .object({ queue: queueDepth, dlq: queueDepth, redrive: redriveTask.nullable() })
      .strict()
      .optional()
      .describe('the completion webhooks\' delivery queue and DLQ, across tenants (where webhooks are configured)'),
  })
  .strict();

export const deadLettersSchema = z
  .object({ type: jobType, dlq: queueDepth, deadJobs: z.number().int(), unmatchedMessages: z.number().int(), jobs: z.array(jobViewSchema), cursor: z.string().optional() })
  .strict();

export const redriveAcceptedSchema = z
  .object({ type: jobType, taskId: z.string(), resumed: z.boolean().describe('true: a stalled task of this queue was nudged again instead of a new one'), task: redriveTaskViewSchema })
  .strict();

export const webhookDeadLettersSchema = z
  .object({
    type: z.literal('webhooks'),
    dlq: queueDepth,
    deadLettered: z.number().int().describe('deliveries listed, all pages'),
    unmatchedMessages: z.number().int().describe('DLQ messages no listed delivery accounts for'),
    deliveries: z.array(z.object({ jobId: z.string(), tenant: z.string(), type: jobType, callbackUrl: z.string(), webhook: webhookViewSchema }).strict()),
    cursor: z.string().optional(),
  })
  .strict();

export const webhookRedriveOutcomeSchema = z
  .object({ type: z.literal('webhooks'), dlqMessages: z.number().int(), unlisted: z.number().int().describe('deliveries taken off the listing'), task: redriveTask.optional() })
  .strict();

export const webhookRedriveStatusSchema = z.object({ type: z.literal('webhooks'), task: redriveTask.nullable() }).strict();

export const redriveStatusSchema = z.object({ type: jobType, task: redriveTaskViewSchema.nullable() }).strict();

/** `POST /v1/queues/{type}/pause|resume`. */
export const pauseStateSchema = z.union([
  z.object({ type: jobType, paused: z.literal(true), pausedAt: isoTime, pausedBy: z.string().describe('the key id that paused it') }).strict(),
  z.object({ type: jobType, paused: z.literal(false) }).strict(),
]);

export const healthSchema = z.object({ status: z.literal('ok'), stage: z.string() }).strict();

/** The analyze API's answers, in BullMQ's state names (functions/api/routes/analyze.ts). */
const analyzeStatus = z.enum(['waiting', 'active', 'completed', 'failed']);
export const analyzeAcceptedSchema = z.object({ jobId: z.string(), status: analyzeStatus }).strict();
export const analyzeViewSchema = z
  .object({
    jobId: z.string(),
    status: analyzeStatus,
    progress: z.number().min(0).max(100),
    result: z
      .object({
        toolId: z.string().optional(),
        analysis: z.object({ strengths: z.unknown(), limitations: z.unknown(), useCases: z.unknown(), maturityScore: z.unknown() }).strict(),
      })
      .strict()
      .nullable()
      .describe('completed jobs only'),
    failedReason: z.string().optional().describe('failed jobs only: `<code>: <message>`'),
    jobUrl: z.string().describe('the whole job in the jobs API'),
  })
  .strict();
const queueStats = z.object({ waiting: z.number().int(), active: z.number().int(), completed: z.null().describe('SQS keeps no count of finished messages'), failed: z.number().int() }).strict();
export const queueHealthSchema = z
  .object({ status: z.enum(['healthy', 'degraded']), stats: queueStats.nullable(), error: z.string().optional(), timestamp: isoTime })
  .strict()
  .describe("The analysis queue's state: degraded while dead letters wait or when the queue cannot be read");

export const notificationViewSchema = z
  .object({
    id: z.string().describe('opaque: names the user and the job that made it'),
    kind: z.enum(['system', 'order', 'ai-insight', 'marketplace'] as const satisfies readonly NotificationKind[]),
    title: z.string(),
    body: z.string(),
    link: z.string().optional(),
    read: z.boolean(),
    createdAt: isoTime,
    readAt: isoTime.optional(),
    details: z.record(z.string(), z.unknown()).optional().describe('the kind-specific fields (orderId, status, listingId…)'),
  })
  .strict();
export const notificationPageSchema = z.object({ items: z.array(notificationViewSchema), cursor: z.string().optional().describe('pass as ?cursor= for the next page') }).strict();
export const readAllSchema = z.object({ updated: z.number().int(), more: z.boolean().describe('unread notifications may remain: call again') }).strict();
export const notificationPreferencesSchema = z.object({ userId: z.string(), email: z.boolean(), address: z.string().optional(), updatedAt: isoTime.optional() }).strict();
