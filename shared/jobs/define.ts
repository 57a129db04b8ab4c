import * as z from 'zod';

/** SQS's ceiling on a redrive policy's maxReceiveCount. */
export const MAX_RECEIVE_COUNT = 1_000;

/** Receives allowed per attempt before the safety net buries a message (see derived.ts). */
export const RECEIVES_PER_ATTEMPT = 10;

/**
 * A FIFO queue's safety-net maxReceiveCount (derived.ts says why): 10 receives per attempt, plus one
 * per failed run of each of the up to `batchSize − 1` jobs ahead of a message in its batch, which sends
 * it back unrun (job-worker.ts, FIFO batches).
 */
export function fifoMaxReceiveCount(maxAttempts: number, batchSize: number): number {
  return (RECEIVES_PER_ATTEMPT + batchSize - 1) * maxAttempts;
}

/**
 * Runtime settings of a job type. The API, the consumer, the CDK constructs and the local cloud
 * all read these — infra never imports handler code. Bad combinations fail here, at import/synth
 * time, naming the job type and the value (as Lift's Queue construct does).
 */
export const jobSettingsSchema = z
  .object({
    /** Lambda timeout of the consumer; the handler's signal aborts a margin before it. */
    timeoutSeconds: z.number().int().min(1).max(900),
    memoryMb: z.number().int().min(128).max(10_240),
    /** Records per consumer invocation (SQS event source BatchSize). */
    batchSize: z.number().int().min(1).max(10_000),
    /** How long the event source may wait to fill a batch (MaximumBatchingWindowInSeconds). */
    batchingWindowSeconds: z.number().int().min(0).max(300),
    /** Event source maximum concurrency. AWS's floor is 2; see DESIGN.md on reserved concurrency. */
    maxConcurrency: z.number().int().min(2).max(1_000),
    /**
     * Runs of the handler before the job is DEAD, counted on the job record. At most 100: the queue's
     * safety-net maxReceiveCount is 10 receives per attempt (derived.ts), within SQS's ceiling of 1,000.
     */
    maxAttempts: z.number().int().min(1).max(100),
    backoff: z
      .object({ baseSeconds: z.number().min(0).max(43_200), maxSeconds: z.number().min(0).max(43_200) })
      .refine((b) => b.maxSeconds >= b.baseSeconds, { message: 'backoff.maxSeconds must be ≥ baseSeconds' }),
    /**
     * `lazy`: RUNNING is written only after ~1 s, carrying any progress reported so far (a fast job costs one
     * write). `eager`: RUNNING is written before the handler starts, so a cancelled or finished job
     * never starts a side effect (email) — one extra write buys at-most-once starts.
     */
    claim: z.enum(['lazy', 'eager']),
    /**
     * AWS capabilities the consumer needs beyond its own queue and the job table. The CDK grants
     * exactly these (and sets their environment), so a job type that sends no e-mail cannot send any.
     */
    uses: z.array(z.enum(['email', 'blobs', 'model', 'inbox', 'enqueue'])).max(5),
    /**
     * Job types this type's consumer enqueues (a notification e-mails through an `email` job), with the
     * `enqueue` capability. The CDK gives the consumer those types' queue URLs and SendMessage on them,
     * and nothing else to send to.
     */
    enqueues: z.array(z.string().min(1)).max(5),
    /**
     * Jobs take a `priority` (low | normal | high) at enqueue, and each priority gets its own queue and
     * consumer pool (shared/jobs/priority.ts). Off: a `priority` is refused (400), one queue.
     */
    priorities: z.boolean(),
    /**
     * Days a finished job's record is kept before DynamoDB TTL removes it, per final status (the
     * seeds kept "the last 100 completed and 500 failed"; DynamoDB expires by age, not by count).
     * `dead` and `expired` default to `failed`, `cancelled` to `succeeded`. See shared/jobs/retention.ts.
     */
    retentionDays: z.object({
      succeeded: z.number().int().min(1).max(3_650),
      failed: z.number().int().min(1).max(3_650),
      dead: z.number().int().min(1).max(3_650).optional(),
      cancelled: z.number().int().min(1).max(3_650).optional(),
      expired: z.number().int().min(1).max(3_650).optional(),
    }).strict(),
    /**
     * `standard`: an SQS standard queue; jobs of different `groupKey`s (by default, tenants) share it
     * fairly (SQS fair queues). `fifo`: an SQS FIFO queue; jobs with the same `groupKey` run one at a
     * time in enqueue order. See shared/jobs/ordering.ts.
     */
    ordering: z.enum(['standard', 'fifo']),
  })
  .strict()
  .refine((s) => s.uses.includes('enqueue') === s.enqueues.length > 0, {
    // The capability builds the enqueue path; `enqueues` names where it may send. One without the other is a mistake.
    message: 'the enqueue capability and a non-empty enqueues list go together',
    path: ['enqueues'],
  })
  .refine((s) => s.batchSize <= 10 || s.batchingWindowSeconds >= 1, {
    // SQS event sources reject BatchSize > 10 without a batching window.
    message: 'batchSize > 10 needs batchingWindowSeconds ≥ 1',
    path: ['batchingWindowSeconds'],
  })
  // Lambda's limits for FIFO sources ("Lambda parameters for Amazon SQS event source mappings"):
  // BatchSize "for FIFO queues, the maximum is 10"; MaximumBatchingWindowInSeconds "is not supported for FIFO queues".
  // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-parameters.html
  .refine((s) => s.ordering !== 'fifo' || s.batchSize <= 10, { message: 'a FIFO job type reads batches of at most 10 (Lambda\'s limit for FIFO queues)', path: ['batchSize'] })
  .refine((s) => s.ordering !== 'fifo' || s.batchingWindowSeconds === 0, { message: 'a FIFO job type has no batching window (Lambda does not support one for FIFO queues)', path: ['batchingWindowSeconds'] })
  .refine((s) => s.ordering !== 'fifo' || fifoMaxReceiveCount(s.maxAttempts, s.batchSize) <= MAX_RECEIVE_COUNT, {
    message: `a FIFO job type needs maxAttempts × (9 + batchSize) ≤ ${MAX_RECEIVE_COUNT}: its queue's safety-net receive count (shared/jobs/derived.ts) must stay within SQS's ceiling`,
    path: ['maxAttempts'],
  });

export type JobSettings = z.infer<typeof jobSettingsSchema>;

/** An AWS capability a job type may declare in `settings.uses` (the CDK grants it, the consumer builds its port). */
export type Capability = JobSettings['uses'][number];

export const DEFAULT_SETTINGS: JobSettings = {
  timeoutSeconds: 30,
  memoryMb: 256,
  batchSize: 10,
  batchingWindowSeconds: 0,
  maxConcurrency: 5,
  maxAttempts: 3,
  backoff: { baseSeconds: 2, maxSeconds: 300 },
  claim: 'lazy',
  uses: [],
  enqueues: [],
  priorities: false,
  retentionDays: { succeeded: 7, failed: 30 },
  ordering: 'standard',
};

/**
 * A registered job type. `TUses` keeps the literal capabilities of `settings.uses`, so its handler's
 * ports are typed by them (functions/jobs/define-handler.ts): a handler cannot reach a mailer its
 * type never declared.
 */
export interface JobDefinition<TType extends string = string, TPayload extends z.ZodType = z.ZodType, TUses extends Capability = Capability> {
  readonly type: TType;
  readonly description: string;
  readonly payload: TPayload;
  readonly settings: Readonly<Omit<JobSettings, 'uses'>> & { readonly uses: readonly TUses[] };
}

/** Job type names become queue, function and alarm names: keep them short and DNS-safe. */
export const jobTypeName = z
  .string()
  .max(30, 'job type must be at most 30 characters')
  .regex(/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/, 'job type must be lowercase letters, digits and single inner hyphens, starting with a letter')
  // The webhook delivery queue is operated under this name (GET /v1/queues/webhooks/dlq, `conveyor dlq list webhooks`).
  .refine((name) => name !== 'webhooks', 'job type "webhooks" is reserved for the completion webhooks\' queue');

export function defineJob<const TType extends string, TPayload extends z.ZodType, const TUses extends Capability = never>(definition: {
  type: TType;
  description: string;
  payload: TPayload;
  settings?: Partial<Omit<JobSettings, 'uses'>> & { uses?: readonly TUses[] };
}): JobDefinition<TType, TPayload, TUses> {
  const name = jobTypeName.safeParse(definition.type);
  if (!name.success) throw new Error(`defineJob(${JSON.stringify(definition.type)}): ${name.error.issues[0]?.message}`);
  const parsed = jobSettingsSchema.safeParse({ ...DEFAULT_SETTINGS, ...definition.settings });
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ');
    throw new Error(`defineJob("${definition.type}"): invalid settings — ${detail}`);
  }
  if (parsed.data.ordering === 'fifo' && parsed.data.priorities) {
    // Priority lanes are separate queues: a job's group would be split across them and lose its order.
    throw new Error(`defineJob("${definition.type}"): invalid settings — ordering: a FIFO job type cannot have priorities (priorities: true); jobs of a group run in enqueue order`);
  }
  // The schema checked `uses`; the caller's own array keeps its literal type (empty by default).
  const settings = Object.freeze({ ...parsed.data, uses: Object.freeze([...(definition.settings?.uses ?? [])]) });
  return Object.freeze({ type: definition.type, description: definition.description, payload: definition.payload, settings });
}

/** True when a payload schema has a `priority` field, which gives a type priority lanes (priority.ts). */
export function hasPriorityField(payload: z.ZodType): boolean {
  const shape = (payload as { shape?: Record<string, unknown> }).shape;
  return shape !== undefined && Object.hasOwn(shape, 'priority');
}
