/**
 * `conveyor/client`: the typed client application code enqueues and follows jobs with.
 *
 *   import { createClient } from 'conveyor/client';
 *   const conveyor = createClient({ endpoint, apiKey });
 *   const { jobId } = await conveyor.enqueue('email', { template: 'welcome', to: [user.email], data });
 *   const result = await conveyor.wait(jobId); // typed by the job type
 *
 * No dependencies: the platform's `fetch`, so it runs on Node ≥ 20, in browsers and edge runtimes.
 * Payload and result types come from the job registry and the handler map by type-only imports,
 * erased at build time: an application bundle carries none of their code.
 */
import type * as z from 'zod';
import type { ResultOf } from '../functions/jobs/index.js';
import type { JobStatus } from '../shared/domain/status.js';
import type { WebhookErrorClass, WebhookState } from '../shared/domain/webhook-log.js';
import type { JobRegistry, JobType } from '../shared/jobs/registry.js';
import type { NotificationPage, NotificationPreferences, NotificationView } from '../shared/ports/notifications.js';
import type { AnalyzeStatus } from '../functions/api/routes/analyze.js';
import { apiError, ConnectionError, JobCancelledError, JobDeadError, JobExpiredError, JobFailedError, StoredResultError, WaitTimeoutError, type Issue, type JobFailure } from './errors.js';

export * from './errors.js';
export type { AnalyzeStatus, JobStatus, JobType, NotificationPage, NotificationPreferences, NotificationView, ResultOf, WebhookErrorClass, WebhookState };

/** What `enqueue` accepts for a type: the payload schema's input (defaults may be left out). */
export type PayloadInput<K extends JobType> = z.input<JobRegistry[K]['payload']>;
/** The payload as the API stored it (defaults applied). */
export type PayloadOutput<K extends JobType> = z.output<JobRegistry[K]['payload']>;

declare const jobTypeBrand: unique symbol;
/** A job id that remembers its type, so `get` and `wait` are typed without naming it again. */
export type JobId<K extends JobType = JobType> = string & { readonly [jobTypeBrand]: K };

export interface EnqueueOptions {
  /** The same key with the same body gives the same job; with another body, a ConflictError. Makes retries always safe. */
  readonly idempotencyKey?: string;
  /** Start no earlier than this many seconds from now (0–900). */
  readonly delaySeconds?: number;
  /** Start no earlier than this instant (ISO 8601 with a zone, or a Date). */
  readonly runAt?: string | Date;
  /** Receives the job's final status, signed. */
  readonly callbackUrl?: string;
  /** Its queue, for a type with priorities (else a ValidationError naming `priority`). */
  readonly priority?: Priority;
  /** Not started this many seconds after it is due (1 s – 14 days), it ends EXPIRED without running. */
  readonly ttlSeconds?: number;
  /** The job's group (≤ 128 visible ASCII; default: your tenant): one at a time in enqueue order on a FIFO type, a fair share on a standard one. */
  readonly groupKey?: string;
  /** Sent as `x-correlation-id`: on every log line of the enqueue, the job's run and its webhook, and in the job as `correlationId`. */
  readonly correlationId?: string;
  readonly signal?: AbortSignal;
}

export type Priority = 'low' | 'normal' | 'high';

/** What `edit` may change in a job that has not started: at least one of these. */
export interface JobEdit<K extends JobType = JobType> {
  readonly payload?: PayloadInput<K>;
  /** Start no earlier than this instant; now (or earlier than its current one) brings it forward. */
  readonly runAt?: string | Date;
  readonly priority?: Priority;
}

export interface Enqueued<K extends JobType = JobType> {
  readonly jobId: JobId<K>;
  readonly status: JobStatus;
  /** True when an idempotency key replayed an earlier request (no new job). */
  readonly replayed: boolean;
}

/** A presigned download of a job's file (a PDF), minted at read time. */
export interface Download {
  readonly url: string;
  readonly expiresAt: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: number;
}

/** A payload or result too large for the job record, kept in S3: its size and SHA-256. */
export interface StoredDataRef {
  readonly bytes: number;
  readonly sha256: string;
}

/** A presigned download of a stored payload or result (JSON), minted at read time by `get`. */
export interface StoredDataLink extends StoredDataRef {
  readonly url: string;
  readonly expiresAt: string;
  readonly contentType: 'application/json';
}

interface JobViewOf<K extends JobType> {
  readonly jobId: JobId<K>;
  readonly type: K;
  readonly status: JobStatus;
  readonly progress: number;
  readonly progressMessage?: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  /** Absent when the payload is stored apart: then `payloadRef`, and `payloadDownload` from `get`. */
  readonly payload?: PayloadOutput<K>;
  readonly payloadRef?: StoredDataRef;
  readonly payloadDownload?: StoredDataLink;
  /** Types with priorities only. */
  readonly priority?: Priority;
  /** Absent when the result is stored apart: then `resultRef`, and `resultDownload` from `get` (`wait` fetches it for you). */
  readonly result?: ResultOf<K>;
  readonly resultRef?: StoredDataRef;
  readonly resultDownload?: StoredDataLink;
  readonly error?: JobFailure;
  readonly runAt?: string;
  /** With ttlSeconds: not started by then, it ends EXPIRED. */
  readonly startBy?: string;
  readonly callbackUrl?: string;
  /** The completion webhook's deliveries (jobs with a callbackUrl that ended, or whose earlier ending announced one). */
  readonly webhook?: WebhookDeliveries;
  readonly nextAttemptAt?: string;
  readonly cancelRequested?: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  /** When retention removes the finished job's record. */
  readonly retainUntil?: string;
  readonly download?: Download;
  readonly tenant?: string;
  /** A flow's child: its parent. */
  readonly parentId?: string;
  /** A flow's parent: children that have not ended yet. */
  readonly childrenPending?: number;
  readonly onChildFailure?: 'continue';
  /** A flow's parent (`get` only): its children and where each stands. */
  readonly children?: readonly { readonly jobId: string; readonly type?: JobType; readonly status: JobStatus }[];
  readonly groupKey?: string;
  /** Shared by the log lines of everything the enqueue set off (the x-correlation-id header, else the API request id). */
  readonly correlationId?: string;
}
/** One POST of a completion webhook: the receiver's status, or why it gave none. */
export interface WebhookAttempt {
  readonly at: string;
  readonly status?: number;
  readonly error?: WebhookErrorClass;
  readonly nextAttemptAt?: string;
}
export interface WebhookDeliveries {
  readonly state: WebhookState;
  /** The ending the webhook announces. */
  readonly finishedAt: string;
  /** Every attempt so far, redrives included. */
  readonly attempts: number;
  readonly nextAttemptAt?: string;
  /** The last 10 attempts, oldest first. */
  readonly recent: readonly WebhookAttempt[];
}
/** A delivery waiting in the webhooks DLQ. */
export interface DeadWebhook {
  readonly jobId: JobId;
  readonly tenant: string;
  readonly type: JobType;
  readonly callbackUrl: string;
  readonly webhook: WebhookDeliveries;
}
export interface WebhookDeadLetters {
  readonly type: 'webhooks';
  readonly dlq: QueueDepth;
  readonly deadLettered: number;
  readonly unmatchedMessages: number;
  readonly deliveries: readonly DeadWebhook[];
  readonly cursor?: string;
}
export interface WebhookRedriveOutcome {
  readonly type: 'webhooks';
  readonly dlqMessages: number;
  readonly unlisted: number;
  readonly task?: MessageMoveTask;
}
/** An SQS message move task (the webhooks DLQ's redrive is one). */
export interface MessageMoveTask {
  readonly status: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  readonly moved: number;
  readonly toMove: number;
  readonly startedAt: string;
  readonly failureReason?: string;
}

/** A job as the API shows it; for several types, a union you can narrow on `type`. */
export type Job<K extends JobType = JobType> = { [T in K]: JobViewOf<T> }[K];

export interface JobPage<K extends JobType = JobType> {
  readonly jobs: readonly Job<K>[];
  /** Pass to `list` for the next page; absent on the last. */
  readonly cursor?: string;
}

export interface ListQuery<K extends JobType = JobType> {
  readonly type?: K;
  readonly status?: JobStatus;
  readonly limit?: number;
  readonly cursor?: string;
}

/** `list(…)`: await it for one page, or `for await` over every page from there. */
export interface JobListing<K extends JobType> extends PromiseLike<JobPage<K>>, AsyncIterable<JobPage<K>> {}

export type BatchJob = { [K in JobType]: { readonly type: K; readonly payload: PayloadInput<K>; readonly idempotencyKey?: string; readonly delaySeconds?: number; readonly runAt?: string; readonly callbackUrl?: string; readonly priority?: Priority; readonly ttlSeconds?: number; readonly groupKey?: string } }[JobType];
export type BatchItemResult = { readonly index: number; readonly jobId: JobId; readonly status: JobStatus } | { readonly index: number; readonly error: { readonly code: string; readonly message: string; readonly issues?: readonly Issue[] } };
export interface BatchResult {
  readonly accepted: number;
  readonly rejected: number;
  readonly results: readonly BatchItemResult[];
}

/** One job of a flow: typed by its `type`; `children` makes it a parent that runs after them. */
export type FlowInput = { [K in JobType]: { readonly type: K; readonly payload: PayloadInput<K>; readonly options?: { readonly onChildFailure?: 'fail' | 'continue' }; readonly children?: readonly FlowInput[] } }[JobType];

/** A flow as accepted: the parent's id and its children's, nested as given. */
export interface FlowEnqueued {
  readonly jobId: JobId;
  readonly status: JobStatus;
  readonly children: readonly FlowChildEnqueued[];
}
export interface FlowChildEnqueued {
  readonly jobId: JobId;
  readonly type: JobType;
  readonly children?: readonly FlowChildEnqueued[];
}

export interface WaitOptions<K extends JobType> {
  /** Give up (WaitTimeoutError) after this long; default: wait as long as it takes. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Called whenever the status or progress changed since the last poll. */
  readonly onProgress?: (job: Job<K>) => void;
  /** First poll interval (default 250 ms); each next one 1.5× longer, up to `maxIntervalMs` (default 5 s). */
  readonly intervalMs?: number;
  readonly maxIntervalMs?: number;
}

export interface RetrySettings {
  /** Tries in all, the first included (default 4). */
  readonly maxAttempts?: number;
  /** Backoff base: try n waits a random time up to base × 2^(n−1) (full jitter), capped at `maxDelayMs`. */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** A `Retry-After` longer than this is not waited for: the error goes to the caller (default 30 s). */
  readonly maxRetryAfterMs?: number;
}

export interface ClientOptions {
  /** The API's base URL, e.g. https://abc.execute-api.eu-west-1.amazonaws.com or http://localhost:3000. */
  readonly endpoint: string;
  readonly apiKey: string;
  readonly retry?: RetrySettings;
  /** Injected for tests or custom transports; the platform's `fetch` by default. */
  readonly fetch?: typeof fetch;
  /** The clock: waiting (retries, polls), randomness (jitter) and time (wait's timeout). */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

export interface QueueDepth {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
}
/** A redrive task's progress: the dead jobs go back to QUEUED in pages, then the DLQ's messages move back. */
export interface RedriveTask {
  readonly taskId: string;
  readonly queue: string;
  readonly state: 'REQUEUEING' | 'MOVING' | 'COMPLETED' | 'FAILED';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly finishedAt?: string;
  readonly requestedBy?: string;
  /** Dead jobs and DLQ messages when it was asked for. */
  readonly deadJobs: number;
  readonly dlqMessages: number;
  readonly requeued: number;
  readonly skipped: number;
  readonly failures: number;
  readonly pages: number;
  readonly move?: { readonly status?: 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED'; readonly moved: number; readonly toMove: number; readonly startedAt?: string; readonly failureReason?: string };
  /** Why it FAILED. */
  readonly error?: string;
}
export interface QueueOverview {
  readonly queues: readonly {
    readonly type: JobType;
    readonly queue: QueueDepth;
    readonly dlq: QueueDepth;
    readonly oldestWaitingSeconds: number | null;
    readonly counts: Partial<Record<JobStatus, number>>;
    readonly redrive: RedriveTask | null;
    /** Its consumer is paused: jobs wait in the queue. */
    readonly paused: boolean;
    readonly pausedAt: string | null;
    readonly pausedBy: string | null;
  }[];
  readonly window: { readonly minutes: number; readonly complete: boolean };
  /** The completion webhooks' queue and DLQ, where webhooks are configured. */
  readonly webhooks?: { readonly queue: QueueDepth; readonly dlq: QueueDepth; readonly redrive: MessageMoveTask | null };
}
export interface DeadLetters {
  readonly type: JobType;
  readonly dlq: QueueDepth;
  readonly deadJobs: number;
  /** DLQ messages no DEAD job accounts for (old copies of jobs retried by id, deaths during a redrive). */
  readonly unmatchedMessages: number;
  readonly jobs: readonly Job[];
  readonly cursor?: string;
}
export interface RedriveAccepted {
  readonly type: JobType;
  readonly taskId: string;
  /** True when a stalled task of the queue was nudged again instead of a new one. */
  readonly resumed: boolean;
  readonly task: RedriveTask;
}
/** A type's consumer after `pause` or `resume`. */
export type PauseState = { readonly type: JobType; readonly paused: true; readonly pausedAt: string; readonly pausedBy: string } | { readonly type: JobType; readonly paused: false };

/** The operator routes (an API key with the `admin` scope). */
export interface AdminClient {
  queues(options?: { windowMinutes?: number; signal?: AbortSignal }): Promise<QueueOverview>;
  deadLetters(type: JobType, options?: { limit?: number; cursor?: string; signal?: AbortSignal }): Promise<DeadLetters>;
  /** `webhooks`: completion webhook deliveries that failed every attempt (operator key). */
  deadLetters(type: 'webhooks', options?: { limit?: number; cursor?: string; signal?: AbortSignal }): Promise<WebhookDeadLetters>;
  /** Starts a redrive task of the type's DLQ (answered at once); follow it with `redriveStatus`. */
  redrive(type: JobType, options?: { signal?: AbortSignal }): Promise<RedriveAccepted>;
  /** `webhooks`: moves the webhooks DLQ back; each delivery is attempted again, freshly signed. */
  redrive(type: 'webhooks', options?: { signal?: AbortSignal }): Promise<WebhookRedriveOutcome>;
  redriveStatus(type: JobType, options?: { signal?: AbortSignal }): Promise<{ readonly type: JobType; readonly task: RedriveTask | null }>;
  redriveStatus(type: 'webhooks', options?: { signal?: AbortSignal }): Promise<{ readonly type: 'webhooks'; readonly task: MessageMoveTask | null }>;
  /** Stops the type's consumer (operator scope): jobs keep queuing, none starts, those under way finish. Idempotent. */
  pause(type: JobType, options?: { signal?: AbortSignal }): Promise<PauseState>;
  /** Starts a paused type's consumer again (operator scope). Idempotent. */
  resume(type: JobType, options?: { signal?: AbortSignal }): Promise<PauseState>;
}

/** Users' notification inboxes (the `notification` job type writes them) and their e-mail preference. */
export interface NotificationsClient {
  list(userId: string, options?: { unread?: boolean; limit?: number; cursor?: string; signal?: AbortSignal }): Promise<NotificationPage>;
  markRead(id: string, options?: { signal?: AbortSignal }): Promise<NotificationView>;
  /** Marks up to 500 unread notifications read; `more: true` says to call again. */
  markAllRead(userId: string, options?: { signal?: AbortSignal }): Promise<{ readonly updated: number; readonly more: boolean }>;
  preferences(userId: string, options?: { signal?: AbortSignal }): Promise<{ readonly userId: string } & Partial<NotificationPreferences> & { readonly email: boolean }>;
  setPreferences(userId: string, preferences: { email: boolean; address?: string }, options?: { signal?: AbortSignal }): Promise<{ readonly userId: string } & NotificationPreferences>;
}

/** The analyze API: `analysis` jobs in BullMQ's state names. */
export interface AnalyzeClient {
  enqueue(payload: PayloadInput<'analysis'>, options?: Pick<EnqueueOptions, 'idempotencyKey' | 'correlationId' | 'signal'>): Promise<{ readonly jobId: JobId<'analysis'>; readonly status: AnalyzeStatus; readonly replayed: boolean }>;
  get(jobId: JobId<'analysis'> | string, options?: { signal?: AbortSignal }): Promise<AnalyzeView>;
}

export interface AnalyzeView {
  readonly jobId: string;
  readonly status: AnalyzeStatus;
  readonly progress: number;
  readonly result: { readonly toolId?: string; readonly analysis: { readonly strengths: readonly string[]; readonly limitations: readonly string[]; readonly useCases: readonly string[]; readonly maturityScore: number } } | null;
  readonly failedReason?: string;
  readonly jobUrl: string;
}

export interface ConveyorClient {
  readonly admin: AdminClient;
  readonly notifications: NotificationsClient;
  readonly analyze: AnalyzeClient;
  enqueue<K extends JobType>(type: K, payload: PayloadInput<K>, options?: EnqueueOptions): Promise<Enqueued<K>>;
  enqueueBatch(jobs: readonly BatchJob[], options?: Pick<EnqueueOptions, 'correlationId' | 'signal'>): Promise<BatchResult>;
  /** A parent that runs once all its children (up to 100, 3 levels) have ended; its handler gets their results. */
  enqueueFlow(flow: FlowInput & { readonly children: readonly FlowInput[] }, options?: Pick<EnqueueOptions, 'correlationId' | 'signal'>): Promise<FlowEnqueued>;
  get<K extends JobType = JobType>(jobId: JobId<K> | string, options?: { signal?: AbortSignal }): Promise<Job<K>>;
  /** Polls until the job ends; resolves with its result, or throws JobFailedError / JobDeadError / JobCancelledError / JobExpiredError. */
  wait<K extends JobType = JobType>(jobId: JobId<K> | string, options?: WaitOptions<K>): Promise<ResultOf<K>>;
  cancel<K extends JobType = JobType>(jobId: JobId<K> | string, options?: { signal?: AbortSignal }): Promise<Job<K>>;
  /**
   * Changes a job that has not started: it runs once, with the edit. A ConflictError `JOB_STARTED` once it
   * has, `JOB_FINISHED` if it was cancelled or expired, `JOB_CHANGED` if another edit came first,
   * `JOB_ORDERED` if its type is FIFO, `JOB_WAITING_FOR_CHILDREN` for a flow's parent whose children have not all ended.
   */
  edit<K extends JobType = JobType>(jobId: JobId<K> | string, edit: JobEdit<K> & { signal?: AbortSignal }): Promise<Job<K>>;
  /** Puts a FAILED or DEAD job back to QUEUED (admin key), optionally with an edited payload. */
  retry<K extends JobType = JobType>(jobId: JobId<K> | string, options?: { payload?: PayloadInput<K>; signal?: AbortSignal }): Promise<Job<K>>;
  list<K extends JobType = JobType>(query?: ListQuery<K>): JobListing<K>;
}

type Safety = 'always' | 'unaccepted';

function enqueueHeaders(opts: Pick<EnqueueOptions, 'idempotencyKey' | 'correlationId'>): Record<string, string> {
  return {
    ...(opts.idempotencyKey !== undefined ? { 'idempotency-key': opts.idempotencyKey } : {}),
    ...(opts.correlationId !== undefined ? { 'x-correlation-id': opts.correlationId } : {}),
  };
}
interface Call {
  readonly method: string;
  readonly path: string;
  readonly query?: Record<string, string | number | undefined>;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** `always`: repeating it cannot do anything twice; `unaccepted`: only when the API surely accepted nothing. */
  readonly safety: Safety;
  readonly signal?: AbortSignal | undefined;
}

const TERMINAL: ReadonlySet<string> = new Set(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED']);
/** Errors of a connection that never opened: the request cannot have reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const done = () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Whether a failed try may be repeated, and after how long (ms); `undefined` = give up. */
export function retryDelay(
  failure: { readonly status?: number; readonly code?: string; readonly retryAfterSeconds?: number | undefined; readonly mayHaveBeenSent?: boolean },
  attempt: number,
  safety: Safety,
  settings: Required<RetrySettings>,
  random: () => number,
): number | undefined {
  if (attempt >= settings.maxAttempts) return undefined;
  const { status } = failure;
  let retryable: boolean;
  if (status === undefined) {
    // No answer: repeat only what cannot have been accepted, or what is safe to repeat.
    retryable = safety === 'always' || failure.mayHaveBeenSent === false;
  } else if (status === 429) {
    // The rate limit is taken before anything is written: a 429 accepted nothing.
    retryable = true;
  } else if (status === 503) {
    // Conveyor's own 503 (code SERVICE_UNAVAILABLE) promises nothing was accepted; a gateway's does not.
    retryable = safety === 'always' || failure.code === 'SERVICE_UNAVAILABLE';
  } else {
    retryable = safety === 'always' && status === 409 && failure.code === 'IDEMPOTENCY_KEY_IN_PROGRESS';
  }
  if (!retryable) return undefined;
  const jitter = random() * Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (attempt - 1));
  if (failure.retryAfterSeconds === undefined) return jitter;
  const asked = failure.retryAfterSeconds * 1000;
  return asked > settings.maxRetryAfterMs ? undefined : asked + jitter;
}

export function createClient(options: ClientOptions): ConveyorClient {
  const base = options.endpoint.endsWith('/') ? options.endpoint : `${options.endpoint}/`;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const retry: Required<RetrySettings> = { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 10_000, maxRetryAfterMs: 30_000, ...options.retry };

  async function once(call: Call): Promise<{ status: number; body: unknown }> {
    const url = new URL(call.path, base);
    for (const [name, value] of Object.entries(call.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    let response: Response;
    try {
      response = await doFetch(url, {
        method: call.method,
        headers: { authorization: `Bearer ${options.apiKey}`, ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}), ...call.headers },
        ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      });
    } catch (error) {
      if (call.signal?.aborted) throw error;
      const code = (error as { cause?: { code?: unknown } }).cause?.code;
      throw new ConnectionError(options.endpoint, !(typeof code === 'string' && NOT_SENT.has(code)), { cause: error });
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    if (response.ok) return { status: response.status, body };
    const error = (body as { error?: { code?: string; message?: string; issues?: Issue[] } } | undefined)?.error;
    const retryAfter = Number(response.headers.get('retry-after') ?? Number.NaN);
    throw apiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? (text.slice(0, 200) || response.statusText), error?.issues ?? [], Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined);
  }

  async function request(call: Call): Promise<{ status: number; body: unknown }> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await once(call);
      } catch (error) {
        const failure = error as { status?: number; code?: string; retryAfterSeconds?: number; mayHaveBeenSent?: boolean };
        const known = error instanceof ConnectionError || typeof failure.status === 'number';
        const delay = known ? retryDelay(failure, attempt, call.safety, retry, random) : undefined;
        if (delay === undefined) throw error;
        await sleep(delay, call.signal);
      }
    }
  }

  const jobPath = (jobId: string) => `v1/jobs/${encodeURIComponent(jobId)}`;
  const get = async <K extends JobType>(jobId: string, signal?: AbortSignal) => (await request({ method: 'GET', path: jobPath(jobId), safety: 'always', signal })).body as Job<K>;

  /** A result stored apart, from its presigned URL: no API key (the URL carries its own signature), checked against its digest. */
  async function storedResult(jobId: string, link: StoredDataLink, signal?: AbortSignal): Promise<unknown> {
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      const response = await doFetch(link.url, signal ? { signal } : {});
      if (!response.ok) throw new StoredResultError(jobId, `could not be downloaded: HTTP ${response.status}`);
      bytes = new Uint8Array(await response.arrayBuffer()) as Uint8Array<ArrayBuffer>;
    } catch (error) {
      if (error instanceof StoredResultError || signal?.aborted) throw error;
      throw new StoredResultError(jobId, `could not be downloaded (${String(error)})`, { cause: error });
    }
    // WebCrypto: in Node ≥ 20, browsers and edge runtimes alike.
    const digest = Array.from(new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes)), (b) => b.toString(16).padStart(2, '0')).join('');
    if (bytes.byteLength !== link.bytes || digest !== link.sha256) throw new StoredResultError(jobId, `does not match its digest (${bytes.byteLength} bytes read, ${link.bytes} recorded)`);
    return JSON.parse(new TextDecoder().decode(bytes)) as unknown;
  }

  const queuePath = (type: string, what: string) => `v1/queues/${encodeURIComponent(type)}/${what}`;
  const body = async <T>(call: Call) => (await request(call)).body as T;

  const notificationsPath = (rest = '') => `v1/notifications${rest}`;

  const client: ConveyorClient = {
    notifications: {
      list: (userId, opts = {}) => body({ method: 'GET', path: notificationsPath(), query: { userId, unread: opts.unread ? 'true' : undefined, limit: opts.limit, cursor: opts.cursor }, safety: 'always', signal: opts.signal }),
      markRead: (id, opts = {}) => body({ method: 'POST', path: notificationsPath(`/${encodeURIComponent(id)}/read`), safety: 'always', signal: opts.signal }),
      markAllRead: (userId, opts = {}) => body({ method: 'POST', path: notificationsPath('/read-all'), query: { userId }, safety: 'always', signal: opts.signal }),
      preferences: (userId, opts = {}) => body({ method: 'GET', path: notificationsPath(`/preferences/${encodeURIComponent(userId)}`), safety: 'always', signal: opts.signal }),
      // Setting the same preference twice leaves it as set once.
      setPreferences: (userId, preferences, opts = {}) => body({ method: 'PUT', path: notificationsPath(`/preferences/${encodeURIComponent(userId)}`), body: preferences, safety: 'always', signal: opts.signal }),
    },

    analyze: {
      async enqueue(payload, opts = {}) {
        const { status, body: accepted } = await request({
          method: 'POST',
          path: 'v1/analyze',
          body: payload,
          headers: enqueueHeaders(opts),
          safety: opts.idempotencyKey !== undefined ? 'always' : 'unaccepted',
          signal: opts.signal,
        });
        const { jobId, status: state } = accepted as { jobId: string; status: AnalyzeStatus };
        return { jobId: jobId as JobId<'analysis'>, status: state, replayed: status === 200 };
      },
      get: (jobId, opts = {}) => body({ method: 'GET', path: `v1/analyze/${encodeURIComponent(jobId)}`, safety: 'always', signal: opts.signal }),
    },

    admin: {
      queues: (opts = {}) => body({ method: 'GET', path: 'v1/queues', query: { windowMinutes: opts.windowMinutes }, safety: 'always', signal: opts.signal }),
      // A job type or `webhooks`: the interface's overloads type each answer.
      deadLetters: (type, opts = {}) => body<never>({ method: 'GET', path: queuePath(type, 'dlq'), query: { limit: opts.limit, cursor: opts.cursor }, safety: 'always', signal: opts.signal }),
      // One redrive at a time per queue: a repeated request while one runs is REDRIVE_IN_PROGRESS.
      redrive: (type, opts = {}) => body<never>({ method: 'POST', path: queuePath(type, 'redrive'), safety: 'unaccepted', signal: opts.signal }),
      redriveStatus: (type, opts = {}) => body<never>({ method: 'GET', path: queuePath(type, 'redrive'), safety: 'always', signal: opts.signal }),
      // Both set a state, not a change: repeating one is harmless.
      pause: (type, opts = {}) => body({ method: 'POST', path: queuePath(type, 'pause'), safety: 'always', signal: opts.signal }),
      resume: (type, opts = {}) => body({ method: 'POST', path: queuePath(type, 'resume'), safety: 'always', signal: opts.signal }),
    },

    async enqueue(type, payload, opts = {}) {
      const runAt = opts.runAt instanceof Date ? opts.runAt.toISOString() : opts.runAt;
      const { status, body } = await request({
        method: 'POST',
        path: 'v1/jobs',
        body: {
          type,
          payload,
          ...(opts.delaySeconds !== undefined ? { delaySeconds: opts.delaySeconds } : {}),
          ...(runAt !== undefined ? { runAt } : {}),
          ...(opts.callbackUrl !== undefined ? { callbackUrl: opts.callbackUrl } : {}),
          ...(opts.priority !== undefined ? { priority: opts.priority } : {}),
          ...(opts.ttlSeconds !== undefined ? { ttlSeconds: opts.ttlSeconds } : {}),
          ...(opts.groupKey !== undefined ? { groupKey: opts.groupKey } : {}),
        },
        headers: enqueueHeaders(opts),
        safety: opts.idempotencyKey !== undefined ? 'always' : 'unaccepted',
        signal: opts.signal,
      });
      const accepted = body as { jobId: string; status: JobStatus };
      return { jobId: accepted.jobId as JobId<typeof type>, status: accepted.status, replayed: status === 200 };
    },

    async enqueueBatch(jobs, opts = {}) {
      // Repeating a batch is safe only if every job in it carries its own idempotency key.
      const safety: Safety = jobs.every((job) => job.idempotencyKey !== undefined) ? 'always' : 'unaccepted';
      return (await request({ method: 'POST', path: 'v1/jobs:batch', body: { jobs }, headers: enqueueHeaders(opts), safety, signal: opts.signal })).body as BatchResult;
    },

    async enqueueFlow(flow, opts = {}) {
      // No idempotency key for flows: repeated only when the API surely accepted nothing.
      const accepted = (await request({ method: 'POST', path: 'v1/flows', body: flow, headers: enqueueHeaders(opts), safety: 'unaccepted', signal: opts.signal })).body as FlowEnqueued & { statusUrl?: string };
      return { jobId: accepted.jobId, status: accepted.status, children: accepted.children };
    },

    get: (jobId, opts = {}) => get(jobId, opts.signal),

    async wait(jobId, opts = {}) {
      const deadline = opts.timeoutMs !== undefined ? now() + opts.timeoutMs : Number.POSITIVE_INFINITY;
      let interval = opts.intervalMs ?? 250;
      let last: Job | undefined;
      for (;;) {
        const job: Job = await get(jobId, opts.signal);
        if (opts.onProgress && (last?.status !== job.status || last.progress !== job.progress)) opts.onProgress(job as never);
        last = job;
        if (TERMINAL.has(job.status)) {
          if (job.status === 'SUCCEEDED') return (job.resultDownload ? await storedResult(job.jobId, job.resultDownload, opts.signal) : job.result) as never;
          const Outcome = job.status === 'FAILED' ? JobFailedError : job.status === 'DEAD' ? JobDeadError : job.status === 'EXPIRED' ? JobExpiredError : JobCancelledError;
          throw new Outcome(job.jobId, job.status as 'FAILED' | 'DEAD' | 'CANCELLED' | 'EXPIRED', job.error, job);
        }
        const left = deadline - now();
        if (left <= 0) throw new WaitTimeoutError(jobId, job);
        await sleep(Math.min(interval, left), opts.signal);
        interval = Math.min(interval * 1.5, opts.maxIntervalMs ?? 5_000);
      }
    },

    async cancel(jobId, opts = {}) {
      return (await request({ method: 'DELETE', path: jobPath(jobId), safety: 'always', signal: opts.signal })).body as never;
    },

    async edit(jobId, { signal, ...edit }) {
      const runAt = edit.runAt instanceof Date ? edit.runAt.toISOString() : edit.runAt;
      const body = { ...(edit.payload !== undefined ? { payload: edit.payload } : {}), ...(runAt !== undefined ? { runAt } : {}), ...(edit.priority !== undefined ? { priority: edit.priority } : {}) };
      // Repeated after an answer that was lost, an applied edit could meet its own job started (409): repeat only what surely did nothing.
      return (await request({ method: 'PATCH', path: jobPath(jobId), body, safety: 'unaccepted', signal })).body as never;
    },

    async retry(jobId, opts = {}) {
      const body = opts.payload !== undefined ? { payload: opts.payload } : undefined;
      return (await request({ method: 'POST', path: `${jobPath(jobId)}/retry`, ...(body ? { body } : {}), safety: 'unaccepted', signal: opts.signal })).body as never;
    },

    list(query = {}) {
      const page = (cursor: string | undefined) =>
        request({ method: 'GET', path: 'v1/jobs', query: { type: query.type, status: query.status, limit: query.limit, cursor }, safety: 'always' }).then(({ body }) => body as JobPage<never>);
      return {
        then: (onFulfilled, onRejected) => page(query.cursor).then(onFulfilled, onRejected),
        async *[Symbol.asyncIterator]() {
          let cursor = query.cursor;
          do {
            const next = await page(cursor);
            yield next;
            cursor = next.cursor;
          } while (cursor !== undefined);
        },
      };
    },
  };
  return client;
}
