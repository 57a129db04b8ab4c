import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Everything that differs between stages, in one typed place. `infra/app.ts` picks the preset by
 * `-c stage=<name>` (any name; unknown names get the `dev` preset) and lets a few values be set from
 * context (`-c alarmEmail=… -c emailSender=… -c upstashSecretName=…`).
 */
export interface StageSettings {
  readonly stage: string;
  /** Table, bucket and log groups survive `cdk destroy` (RETAIN) instead of being deleted. */
  readonly retainData: boolean;
  /** DynamoDB point-in-time recovery (35 days of restorable history). */
  readonly pointInTimeRecovery: boolean;
  /** CloudFormation refuses to delete the stacks until this is switched off. */
  readonly terminationProtection: boolean;
  readonly logRetention: RetentionDays;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** Share of invocations (0–1) that log their debug lines whatever `logLevel` says. */
  readonly logDebugSampleRate: number;
  /**
   * X-Ray tracing (Powertools Tracer): Lambda tracing Active, the X-Ray write permission, and
   * CONVEYOR_TRACING=on so the functions load the tracer. Off: none of the three. `-c tracing=on|off`.
   */
  readonly tracing: boolean;
  /** Generated PDFs are deleted this many days after they were written. */
  readonly blobExpiryDays: number;
  readonly api: {
    /** Steady-state requests per second across the whole API (API Gateway stage throttling). */
    readonly rateLimitPerSecond: number;
    readonly burstLimit: number;
    /** How long API Gateway caches an authorizer answer per key (a revoked key works this long). */
    readonly authorizerCacheSeconds: number;
  };
  readonly alarms: {
    /** Subscribed to the alarm topic when set. */
    readonly email?: string;
    /** Age of the oldest message in a job queue. */
    readonly queueAgeSeconds: { readonly warning: number; readonly critical: number };
    /** Consumer invocation errors per 5 minutes (a job's own failure is not one: it is reported per record). */
    readonly consumerErrors: number;
    readonly consumerThrottles: number;
    readonly api5xxPerFiveMinutes: number;
    readonly apiLatencyP99Ms: number;
  };
  readonly email: {
    /** The From address of every e-mail (never taken from a payload). */
    readonly sender: string;
    /** The SES identity that authorises it: the sender's domain, or the address itself. */
    readonly identity: string;
  };
  /**
   * Secrets Manager secret holding `{"url": …, "token": …}` of the Upstash Redis database. Absent
   * (no `-c upstashSecretName=…`): Upstash is not configured, rate limits are off and the functions'
   * start-up log says so — a stage deploys and runs without an Upstash account.
   */
  readonly upstashSecretName?: string;
}

export type StageContext = Partial<Record<'alarmEmail' | 'emailSender' | 'sesIdentity' | 'upstashSecretName' | 'tracing', string>>;

type Preset = Omit<StageSettings, 'stage' | 'email' | 'upstashSecretName'>;

const development: Preset = {
  retainData: false,
  pointInTimeRecovery: false,
  terminationProtection: false,
  logRetention: RetentionDays.ONE_WEEK,
  logLevel: 'debug',
  logDebugSampleRate: 0,
  // A development stage logs everything already; traces cost per request recorded.
  tracing: false,
  blobExpiryDays: 7,
  api: { rateLimitPerSecond: 50, burstLimit: 100, authorizerCacheSeconds: 60 },
  alarms: { queueAgeSeconds: { warning: 900, critical: 3_600 }, consumerErrors: 5, consumerThrottles: 5, api5xxPerFiveMinutes: 10, apiLatencyP99Ms: 2_000 },
};

const production: Preset = {
  retainData: true,
  pointInTimeRecovery: true,
  terminationProtection: true,
  logRetention: RetentionDays.THREE_MONTHS,
  logLevel: 'info',
  // One invocation in a hundred tells its whole story.
  logDebugSampleRate: 0.01,
  tracing: true,
  blobExpiryDays: 30,
  api: { rateLimitPerSecond: 1_000, burstLimit: 2_000, authorizerCacheSeconds: 60 },
  alarms: { queueAgeSeconds: { warning: 300, critical: 1_800 }, consumerErrors: 1, consumerThrottles: 1, api5xxPerFiveMinutes: 5, apiLatencyP99Ms: 1_000 },
};

const PRESETS: Readonly<Record<string, Preset>> = {
  dev: development,
  // Staging rehearses production: same retention and thresholds, so a deploy there proves prod's.
  staging: production,
  prod: production,
};

/** Stage names become resource names (`conveyor-<stage>-worker-<type>` must fit Lambda's 64 characters). */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,15}$/;

export function stageSettings(stage: string, context: StageContext = {}): StageSettings {
  if (!STAGE_NAME.test(stage)) {
    throw new Error(`stage ${JSON.stringify(stage)}: use lowercase letters, digits and -, at most 16 characters (-c stage=dev)`);
  }
  const preset = PRESETS[stage] ?? development;
  if (context.tracing !== undefined && context.tracing !== 'on' && context.tracing !== 'off') throw new Error(`tracing ${JSON.stringify(context.tracing)}: use -c tracing=on or -c tracing=off`);
  const sender = context.emailSender ?? 'conveyor@example.com';
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(sender)) throw new Error(`emailSender ${JSON.stringify(sender)} is not an e-mail address`);
  return {
    ...preset,
    stage,
    tracing: context.tracing === undefined ? preset.tracing : context.tracing === 'on',
    alarms: { ...preset.alarms, ...(context.alarmEmail ? { email: context.alarmEmail } : {}) },
    email: { sender, identity: context.sesIdentity ?? sender.split('@')[1]! },
    ...(context.upstashSecretName ? { upstashSecretName: context.upstashSecretName } : {}),
  };
}
