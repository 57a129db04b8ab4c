import * as z from 'zod';
import { ConfigurationError } from '../domain/errors.js';
import { parseRateRule } from '../jobs/rate-limits.js';

/**
 * Environment, parsed once per cold start into a frozen object. No other file reads `process.env`.
 * Endpoints of local servers are NOT here: the AWS SDK reads the standard `AWS_ENDPOINT_URL_*`
 * variables itself, so handlers never know whether they run locally.
 */
const envSchema = z.object({
  CONVEYOR_STAGE: z.string().min(1).default('local'),
  CONVEYOR_TABLE_NAME: z.string().min(1),
  /** JSON map job type → queue URL, e.g. {"analysis":"https://sqs…/conveyor-local-analysis"}. */
  CONVEYOR_QUEUE_URLS: z
    .string()
    .min(2)
    .transform((raw, ctx) => {
      try {
        const parsed = z.record(z.string(), z.url()).parse(JSON.parse(raw));
        return parsed;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of job type → queue URL' });
        return z.NEVER;
      }
    }),
  /**
   * JSON map job type → the UUIDs of its event source mappings (one per lane), e.g.
   * {"email":["6b4f…"]}: what `POST /v1/queues/{type}/pause` disables. Set for the API function only.
   */
  CONVEYOR_EVENT_SOURCE_MAPPINGS: z
    .string()
    .min(2)
    .transform((raw, ctx) => {
      try {
        return z.record(z.string(), z.array(z.string().min(1)).min(1)).parse(JSON.parse(raw));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object of job type → array of event source mapping UUIDs' });
        return z.NEVER;
      }
    })
    .optional(),
  /** The job type a consumer function serves (unset for the API function). */
  CONVEYOR_JOB_TYPE: z.string().optional(),
  /** Milliseconds the handler's signal fires before the function deadline. */
  CONVEYOR_TIMEOUT_MARGIN_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  /**
   * The From of every e-mail: `name@example.com` or `Display Name <name@example.com>`, an identity
   * verified in SES. Never taken from a payload. Required by the email worker only.
   */
  CONVEYOR_EMAIL_FROM: z
    .string()
    // eslint-disable-next-line no-control-regex -- refusing control characters (header injection) is the point
    .regex(/^(?:[^\u0000-\u001f\u007f<>",;]{1,64} <[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+>|[^\s<>@]+@[^\s<>@]+\.[^\s<>@]+)$/, 'must be name@example.com or "Name <name@example.com>", on one line')
    .optional(),
  /** Optional SES configuration set for sending events (bounces, complaints, deliveries). */
  CONVEYOR_SES_CONFIGURATION_SET: z.string().min(1).max(64).optional(),
  /** S3 bucket of job output files (PDFs). Required by the pdf worker; the API signs downloads from it. */
  CONVEYOR_BUCKET_NAME: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  /**
   * S3 bucket of payloads and results too large for their job record (functions/job-data/). The API
   * and every consumer use it; unset, payloads and results must fit in the record.
   */
  CONVEYOR_JOB_DATA_BUCKET: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name').optional(),
  /** Lifetime of the presigned download URLs in GET /v1/jobs/{id}; SigV4 allows at most 7 days. */
  CONVEYOR_DOWNLOAD_URL_TTL_SECONDS: z.coerce.number().int().min(1).max(604_800).default(300),
  AWS_REGION: z.string().min(1).default('us-east-1'),
  // The SDK's standard service-endpoint variables. Unset on AWS; set by the local cloud.
  AWS_ENDPOINT_URL_DYNAMODB: z.url().optional(),
  AWS_ENDPOINT_URL_SQS: z.url().optional(),
  AWS_ENDPOINT_URL_SES: z.url().optional(),
  AWS_ENDPOINT_URL_SESV2: z.url().optional(),
  AWS_ENDPOINT_URL_S3: z.url().optional(),
  AWS_ENDPOINT_URL_LAMBDA: z.url().optional(),
  /**
   * Name or ARN of the Secrets Manager secret holding the Upstash credentials as JSON {"url", "token"}
   * (set by the stack for the functions that rate-limit; read once per cold start). Wins over the two
   * plain variables below, which are for local runs.
   */
  CONVEYOR_UPSTASH_SECRET: z.string().min(1).max(2_048).optional(),
  // Upstash Redis REST (rate limits). All three unset: limits are off, and the start-up log says so.
  UPSTASH_REDIS_REST_URL: z.url().optional(),
  UPSTASH_REDIS_REST_TOKEN: z.string().min(1).optional(),
  /** Per-tenant enqueue limit, `<jobs>/<seconds>`, e.g. `600/60`. */
  CONVEYOR_TENANT_ENQUEUE_LIMIT: z
    .string()
    .refine((text) => parseRateRule(text) !== undefined, { message: 'must be <jobs>/<seconds>, e.g. 600/60' })
    .optional(),
  /** The redrive queue: the API records a redrive task and sends its first nudge there; the redrive consumer reads it. */
  CONVEYOR_REDRIVE_QUEUE_URL: z.url().optional(),
  // Completion webhooks. Functions that record terminal states need only the delivery queue (set →
  // webhooks on); the webhook consumer alone needs the HMAC signing key: plain locally
  // (CONVEYOR_WEBHOOK_SECRET), or on AWS the Secrets Manager secret holding it, read at cold start.
  CONVEYOR_WEBHOOK_QUEUE_URL: z.url().optional(),
  CONVEYOR_WEBHOOK_SECRET: z.string().min(16).optional(),
  CONVEYOR_WEBHOOK_SECRET_ID: z.string().min(1).max(2_048).optional(),
  /** Hosts exempt from the public-address rule, comma-separated (local development only). */
  CONVEYOR_WEBHOOK_ALLOW_HOSTS: z.string().optional(),
  // EventBridge Scheduler one-time schedules for jobs due more than 15 minutes ahead (all three or none).
  CONVEYOR_SCHEDULE_GROUP: z.string().min(1).optional(),
  CONVEYOR_RELEASE_FUNCTION_ARN: z.string().startsWith('arn:').optional(),
  CONVEYOR_SCHEDULER_ROLE_ARN: z.string().startsWith('arn:').optional(),
  // Where EventBridge Scheduler puts a one-time release it could not deliver (the schedules' DLQ).
  CONVEYOR_SCHEDULE_DLQ_ARN: z.string().startsWith('arn:').optional(),
  // The text model of the AI tasks (and of the analysis job when AI analysis is on). `bedrock` on AWS,
  // set by the stack with the model and its region; `local` (the default) is the deterministic stand-in.
  CONVEYOR_AI_PROVIDER: z.enum(['bedrock', 'local']).default('local'),
  /** A Bedrock foundation model id, e.g. `amazon.nova-micro-v1:0`; required with the bedrock provider. */
  CONVEYOR_AI_MODEL_ID: z.string().regex(/^[a-z0-9-]+\.[A-Za-z0-9.:-]+$/, 'must be a Bedrock model id like amazon.nova-micro-v1:0').optional(),
  /** The Region the model is invoked in (defaults to AWS_REGION). */
  CONVEYOR_AI_REGION: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be a Region like us-east-1').optional(),
  /** Chat replies per tenant, `<replies>/<seconds>` (through the shared rate limiter; off without Upstash). */
  CONVEYOR_AI_CHAT_LIMIT: z
    .string()
    .refine((text) => parseRateRule(text) !== undefined, { message: 'must be <replies>/<seconds>, e.g. 20/60' })
    .optional(),
  /** `on`: the analysis job asks the text model for strengths, limitations and use cases. */
  CONVEYOR_AI_ANALYSIS: z.enum(['on', 'off']).default('off'),
  /** The SDK's standard endpoint variable of Bedrock Runtime (tests point it at a local server). */
  AWS_ENDPOINT_URL_BEDROCK_RUNTIME: z.url().optional(),
  /**
   * A Bedrock API key: when set, Converse calls carry it as a bearer token instead of a SigV4
   * signature, as the SDK's Bedrock clients do. https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html
   */
  AWS_BEARER_TOKEN_BEDROCK: z.string().min(1).optional(),
  /** Job outcome metrics: `emf` writes CloudWatch embedded-metric-format lines (set by the stack on consumers); `off` records none. */
  CONVEYOR_METRICS: z.enum(['emf', 'off']).default('off'),
  /** Lines below this level are dropped (any case: `DEBUG` as Lambda's log-level controls spell it). */
  LOG_LEVEL: z.preprocess((value) => (typeof value === 'string' ? value.toLowerCase() : value), z.enum(['debug', 'info', 'warn', 'error', 'silent'])).default('info'),
  /** Share of invocations (0–1) that also log their debug lines, whatever LOG_LEVEL says. */
  CONVEYOR_LOG_DEBUG_SAMPLE_RATE: z.coerce.number().min(0).max(1).default(0),
  /** X-Ray tracing through Powertools Tracer: `on` where the stage traces (Lambda tracing Active), off locally unless asked. */
  CONVEYOR_TRACING: z.enum(['on', 'off']).default('off'),
  /** Set by Lambda: `on-demand`, `provisioned-concurrency` or `snap-start` (only on-demand environments have cold starts). */
  AWS_LAMBDA_INITIALIZATION_TYPE: z.string().optional(),
});

export type ConveyorConfig = Readonly<z.infer<typeof envSchema>>;

/** Every variable `parseConfig` reads: the deployed functions' environments must use these names. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/** The endpoint overrides in a config, in the shape the AWS client factories take. */
export function endpointsOf(config: ConveyorConfig): Partial<Record<'dynamodb' | 'sqs' | 'ses' | 'sesv2' | 's3' | 'lambda', string>> {
  const entries = {
    dynamodb: config.AWS_ENDPOINT_URL_DYNAMODB,
    sqs: config.AWS_ENDPOINT_URL_SQS,
    ses: config.AWS_ENDPOINT_URL_SES,
    sesv2: config.AWS_ENDPOINT_URL_SESV2,
    s3: config.AWS_ENDPOINT_URL_S3,
    lambda: config.AWS_ENDPOINT_URL_LAMBDA,
  };
  return Object.fromEntries(Object.entries(entries).filter(([, url]) => url !== undefined)) as Partial<Record<keyof typeof entries, string>>;
}

/** A setting only some functions need, read at their cold start: missing, it fails by name. */
export function requireSetting<K extends keyof ConveyorConfig>(config: ConveyorConfig, name: K, neededBy: string): NonNullable<ConveyorConfig[K]> {
  const value = config[name];
  if (value === undefined || value === null) throw new ConfigurationError(`${String(name)} is required by ${neededBy}`);
  return value as NonNullable<ConveyorConfig[K]>;
}

export function parseConfig(env: Record<string, string | undefined>): ConveyorConfig {
  return parseWith(envSchema, env);
}

const logSchema = envSchema.pick({ LOG_LEVEL: true, CONVEYOR_LOG_DEBUG_SAMPLE_RATE: true, CONVEYOR_TRACING: true });

/** The logging and tracing settings alone, for a process that has no function config (`npm start`). */
export function parseLogSettings(env: Record<string, string | undefined>): Pick<ConveyorConfig, 'LOG_LEVEL' | 'CONVEYOR_LOG_DEBUG_SAMPLE_RATE' | 'CONVEYOR_TRACING'> {
  return parseWith(logSchema, env);
}

function parseWith<S extends z.ZodType<object>>(schema: S, env: Record<string, string | undefined>): Readonly<z.infer<S>> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const detail = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigurationError(`invalid environment — ${detail}`);
  }
  return Object.freeze(result.data);
}
