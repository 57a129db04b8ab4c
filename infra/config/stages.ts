import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Everything that differs between stages, in one typed place. `infra/app.ts` picks the preset by
 * `-c stage=<name>` (any name; unknown names get the `dev` preset) and lets a few values be set from
 * context (`-c alarmEmail=… -c emailSender=… -c upstashSecretName=…`).
 */
export interface StageSettings {
  readonly stage: string;
  /**
   * A stage real users depend on (`staging`, `prod`): synthesis refuses a placeholder sender and an
   * alarm topic nobody reads, and stateful resources outlive the stack.
   */
  readonly production: boolean;
  /**
   * Table, bucket, log groups and signing secret survive `cdk destroy` and any update that would
   * remove them — but not the rollback of the deploy that created them (RetainExceptOnCreate).
   */
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
    /** Who hears the alarms; `undefined` only where the stage is not `production`. */
    readonly subscription?: AlarmSubscription;
    /** Age of the oldest message in a job queue. */
    readonly queueAgeSeconds: { readonly warning: number; readonly critical: number };
    /** Consumer invocation errors per 5 minutes (a job's own failure is not one: it is reported per record). */
    readonly consumerErrors: number;
    readonly consumerThrottles: number;
    /** Share of a job type's finished runs that ended FAILED or DEAD over 5 minutes, in percent. */
    readonly jobFailurePercent: number;
    /** Share of API requests answered 5xx over 5 minutes, in percent. */
    readonly api5xxPercent: number;
    readonly apiLatencyP99Ms: number;
    /** Share of the account's Lambda concurrency in use (ClaimedAccountConcurrency / quota), in percent. */
    readonly accountConcurrencyPercent: number;
  };
  readonly email: {
    /** The From address of every e-mail (never taken from a payload). */
    readonly sender: string;
    /** The SES identity that authorises it: the sender's domain, or the address itself. */
    readonly identity: string;
    /**
     * `create`: the data stack creates the identity (fails with AlreadyExists if the account has it).
     * `existing`: the identity is already in the account and region; the stack only grants on its ARN.
     */
    readonly identitySource: 'create' | 'existing';
  };
  /** Recurring jobs (shared/jobs/recurring.ts) this stage schedules, by name: none unless it opts in. */
  readonly recurring: readonly string[];
  /**
   * Secrets Manager secret holding `{"url": …, "token": …}` of the Upstash Redis database. Absent
   * (no `-c upstashSecretName=…`): Upstash is not configured, rate limits are off and the functions'
   * start-up log says so — a stage deploys and runs without an Upstash account.
   */
  readonly upstashSecretName?: string;
  /** The text model of the AI tasks: one Bedrock foundation model per stage, invoked in one Region. */
  readonly ai: {
    /** A foundation model id (`-c aiModelId=…`); the ai consumer may invoke this model and no other. */
    readonly modelId: string;
    /** Where it is invoked (`-c aiRegion=…`); the stack's own Region when absent. */
    readonly region?: string;
    /** `-c aiAnalysis=on`: the analysis job asks the model too (and its consumer gets the same grant). */
    readonly analysis: boolean;
  };
}

/** Where alarm notifications go: an e-mail subscribed to the stage's topic, an existing topic, or (said out loud) nowhere. */
export type AlarmSubscription = { readonly kind: 'email'; readonly address: string } | { readonly kind: 'topic'; readonly topicArn: string } | { readonly kind: 'none' };

/** Context keys a deploy may pass (`-c key=value`), besides `stage`. */
export const STAGE_CONTEXT_KEYS = ['alarmEmail', 'alarmTopicArn', 'noAlarmSubscription', 'emailSender', 'sesIdentity', 'emailIdentity', 'recurring', 'upstashSecretName', 'aiModelId', 'aiRegion', 'aiAnalysis', 'tracing'] as const;
export type StageContext = Partial<Record<(typeof STAGE_CONTEXT_KEYS)[number], string>>;

/** Amazon Nova Micro: text only, the cheapest on-demand Bedrock text model when this was written. */
export const DEFAULT_AI_MODEL_ID = 'amazon.nova-micro-v1:0';

type Preset = Omit<StageSettings, 'stage' | 'email' | 'upstashSecretName' | 'recurring' | 'ai'>;

const development: Preset = {
  production: false,
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
  alarms: { queueAgeSeconds: { warning: 900, critical: 3_600 }, consumerErrors: 5, consumerThrottles: 5, jobFailurePercent: 20, api5xxPercent: 5, apiLatencyP99Ms: 2_000, accountConcurrencyPercent: 90 },
};

const production: Preset = {
  production: true,
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
  alarms: { queueAgeSeconds: { warning: 300, critical: 1_800 }, consumerErrors: 1, consumerThrottles: 1, jobFailurePercent: 5, api5xxPercent: 1, apiLatencyP99Ms: 1_000, accountConcurrencyPercent: 80 },
};

const PRESETS: Readonly<Record<string, Preset>> = {
  dev: development,
  // Staging rehearses production: same retention and thresholds, so a deploy there proves prod's.
  staging: production,
  prod: production,
};

/** Stage names become resource names (`conveyor-<stage>-worker-<type>` must fit Lambda's 64 characters). */
const STAGE_NAME = /^[a-z][a-z0-9-]{0,15}$/;

/** The sender of a stage deployed without `-c emailSender`: fine for a look around, refused in production. */
export const PLACEHOLDER_SENDER = 'conveyor@example.com';

/**
 * Domains that can never receive or verify mail (RFC 2606 and RFC 6761): example.com/.net/.org and
 * the .example, .test, .invalid and .localhost top-level domains.
 */
export function isPlaceholderDomain(domain: string): boolean {
  const name = domain.toLowerCase().replace(/\.$/, '');
  return /(^|\.)example\.(com|net|org)$/.test(name) || /\.(example|test|invalid|localhost)$/.test(name) || ['example', 'test', 'invalid', 'localhost'].includes(name);
}

export function stageSettings(stage: string, context: StageContext = {}): StageSettings {
  if (!STAGE_NAME.test(stage)) {
    throw new Error(`stage ${JSON.stringify(stage)}: use lowercase letters, digits and -, at most 16 characters (-c stage=dev)`);
  }
  const preset = PRESETS[stage] ?? development;
  if (context.tracing !== undefined && context.tracing !== 'on' && context.tracing !== 'off') throw new Error(`tracing ${JSON.stringify(context.tracing)}: use -c tracing=on or -c tracing=off`);
  const sender = context.emailSender ?? PLACEHOLDER_SENDER;
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(sender)) throw new Error(`emailSender ${JSON.stringify(sender)} is not an e-mail address`);
  const modelId = context.aiModelId ?? DEFAULT_AI_MODEL_ID;
  if (!/^[a-z0-9-]+\.[A-Za-z0-9.:-]+$/.test(modelId)) throw new Error(`aiModelId ${JSON.stringify(modelId)} is not a Bedrock foundation model id like ${DEFAULT_AI_MODEL_ID}`);
  if (context.aiRegion !== undefined && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(context.aiRegion)) throw new Error(`aiRegion ${JSON.stringify(context.aiRegion)} is not a Region like us-east-1`);
  if (context.aiAnalysis !== undefined && !['on', 'off'].includes(context.aiAnalysis)) throw new Error(`aiAnalysis must be on or off, not ${JSON.stringify(context.aiAnalysis)}`);
  const identitySource = context.emailIdentity ?? 'create';
  if (identitySource !== 'create' && identitySource !== 'existing') {
    throw new Error(`emailIdentity ${JSON.stringify(identitySource)}: use -c emailIdentity=existing (the identity is already verified in this account and region) or -c emailIdentity=create (the default)`);
  }
  const subscription = alarmSubscriptionOf(context);
  return {
    ...preset,
    stage,
    tracing: context.tracing === undefined ? preset.tracing : context.tracing === 'on',
    alarms: { ...preset.alarms, ...(subscription ? { subscription } : {}) },
    email: { sender, identity: context.sesIdentity ?? sender.split('@')[1]!, identitySource },
    recurring: (context.recurring ?? '').split(',').map((name) => name.trim()).filter(Boolean),
    ...(context.upstashSecretName ? { upstashSecretName: context.upstashSecretName } : {}),
    ai: { modelId, ...(context.aiRegion ? { region: context.aiRegion } : {}), analysis: context.aiAnalysis === 'on' },
  };
}

function alarmSubscriptionOf(context: StageContext): AlarmSubscription | undefined {
  const chosen = [context.alarmEmail && 'alarmEmail', context.alarmTopicArn && 'alarmTopicArn', context.noAlarmSubscription && 'noAlarmSubscription'].filter(Boolean);
  if (chosen.length > 1) throw new Error(`alarms: pass one of -c alarmEmail, -c alarmTopicArn, -c noAlarmSubscription (got ${chosen.join(', ')})`);
  if (context.alarmEmail) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(context.alarmEmail)) throw new Error(`alarmEmail ${JSON.stringify(context.alarmEmail)} is not an e-mail address`);
    return { kind: 'email', address: context.alarmEmail };
  }
  if (context.alarmTopicArn) {
    if (!/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(context.alarmTopicArn)) throw new Error(`alarmTopicArn ${JSON.stringify(context.alarmTopicArn)} is not an SNS topic ARN`);
    return { kind: 'topic', topicArn: context.alarmTopicArn };
  }
  if (context.noAlarmSubscription !== undefined) {
    if (context.noAlarmSubscription !== 'true') throw new Error(`noAlarmSubscription ${JSON.stringify(context.noAlarmSubscription)}: the only value is true`);
    return { kind: 'none' };
  }
  return undefined;
}

/**
 * What a production stage must be told before it deploys, checked when the stage is built (so
 * `cdk synth` fails, naming the option): who hears the alarms, and a sender that can be verified.
 */
export function checkDeployable(settings: StageSettings, recurring: readonly { readonly name: string; readonly placeholderRecipients: readonly string[] }[]): void {
  const where = `stage "${settings.stage}"`;
  const known = recurring.map((r) => r.name);
  const unknown = settings.recurring.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`${where}: -c recurring=${unknown.join(',')} names no recurring job; known: ${known.join(', ') || '(none)'}`);
  if (!settings.production) return;
  if (!settings.alarms.subscription) {
    throw new Error(
      `${where}: alarms would reach nobody. Pass -c alarmEmail=you@your-domain (subscribed to the alarm topic), ` +
        `-c alarmTopicArn=arn:aws:sns:… (an existing topic someone reads), or -c noAlarmSubscription=true to deploy without one on purpose`,
    );
  }
  const senderDomain = settings.email.sender.split('@')[1]!;
  if (isPlaceholderDomain(senderDomain) || isPlaceholderDomain(settings.email.identity.split('@').pop()!)) {
    throw new Error(`${where}: emailSender ${JSON.stringify(settings.email.sender)} is a placeholder that SES can never verify; pass -c emailSender=jobs@your-domain`);
  }
  for (const job of recurring.filter((r) => settings.recurring.includes(r.name))) {
    if (job.placeholderRecipients.length > 0) {
      throw new Error(`${where}: recurring job "${job.name}" mails ${job.placeholderRecipients.join(', ')}; set real recipients in shared/jobs/recurring.ts before -c recurring=${job.name}`);
    }
  }
}

/**
 * The removal policy of a stage's stateful resources with fixed names (table, bucket, log groups,
 * signing secret). Retained stages use RetainExceptOnCreate: kept on `cdk destroy` and on any update
 * that removes or replaces them, but deleted when the deploy that created them rolls back — a plain
 * Retain would leave them behind and the retry would fail on their names.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
 */
export function statefulRemovalPolicy(settings: StageSettings): RemovalPolicy {
  return settings.retainData ? RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE : RemovalPolicy.DESTROY;
}
