import { sqsErrors } from './errors.js';

/**
 * Queue attributes: which names exist, which a caller may set, their ranges and defaults, and how
 * the JSON-valued ones (RedrivePolicy, RedriveAllowPolicy) are normalised. Ranges and defaults are
 * those of the CreateQueue / SetQueueAttributes API reference (MaximumMessageSize: 1 KiB–1 MiB,
 * default 1 MiB since SQS raised the payload limit in August 2025). The FIFO attributes
 * (ContentBasedDeduplication, DeduplicationScope, FifoThroughputLimit) exist on FIFO queues only;
 * FifoThroughputLimit is stored and reported, and has no effect here (no throughput quotas locally).
 */

export const MAXIMUM_MESSAGE_BYTES = 1_048_576;
export const MAXIMUM_VISIBILITY_TIMEOUT_SECONDS = 43_200;
export const MAXIMUM_DELAY_SECONDS = 900;
export const MAXIMUM_WAIT_TIME_SECONDS = 20;

interface IntegerRule {
  readonly min: number;
  readonly max: number;
  readonly defaultValue: number;
}

const INTEGER_ATTRIBUTES: Readonly<Record<string, IntegerRule>> = {
  DelaySeconds: { min: 0, max: MAXIMUM_DELAY_SECONDS, defaultValue: 0 },
  MaximumMessageSize: { min: 1_024, max: MAXIMUM_MESSAGE_BYTES, defaultValue: MAXIMUM_MESSAGE_BYTES },
  MessageRetentionPeriod: { min: 60, max: 1_209_600, defaultValue: 345_600 },
  ReceiveMessageWaitTimeSeconds: { min: 0, max: MAXIMUM_WAIT_TIME_SECONDS, defaultValue: 0 },
  VisibilityTimeout: { min: 0, max: MAXIMUM_VISIBILITY_TIMEOUT_SECONDS, defaultValue: 30 },
  KmsDataKeyReusePeriodSeconds: { min: 60, max: 86_400, defaultValue: 300 },
};

/** Attributes a standard queue reports without being asked to store them. */
export const DEFAULT_QUEUE_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['DelaySeconds', '0'],
  ['MaximumMessageSize', String(MAXIMUM_MESSAGE_BYTES)],
  ['MessageRetentionPeriod', '345600'],
  ['ReceiveMessageWaitTimeSeconds', '0'],
  ['VisibilityTimeout', '30'],
  // New queues get SSE-SQS by default since 2022 (SQS Developer Guide, "Encryption at rest").
  ['SqsManagedSseEnabled', 'true'],
]);

/** What a FIFO queue reports besides the standard defaults (CreateQueue reference). */
export const FIFO_DEFAULT_QUEUE_ATTRIBUTES: ReadonlyMap<string, string> = new Map([
  ['FifoQueue', 'true'],
  ['ContentBasedDeduplication', 'false'],
  ['DeduplicationScope', 'queue'],
  ['FifoThroughputLimit', 'perQueue'],
]);

/** Computed by the queue on every GetQueueAttributes; never settable. */
export const COMPUTED_QUEUE_ATTRIBUTES = [
  'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible',
  'ApproximateNumberOfMessagesDelayed',
  'CreatedTimestamp',
  'LastModifiedTimestamp',
  'QueueArn',
] as const;

const STORED_ATTRIBUTES = [
  ...Object.keys(INTEGER_ATTRIBUTES),
  'Policy',
  'RedrivePolicy',
  'RedriveAllowPolicy',
  'KmsMasterKeyId',
  'SqsManagedSseEnabled',
];

const FIFO_ONLY_ATTRIBUTES = new Set(['ContentBasedDeduplication', 'DeduplicationScope', 'FifoThroughputLimit']);

/** Every name GetQueueAttributes accepts (FIFO ones are accepted and simply absent on a standard queue). */
export const KNOWN_QUEUE_ATTRIBUTES: ReadonlySet<string> = new Set([
  'All',
  ...COMPUTED_QUEUE_ATTRIBUTES,
  ...STORED_ATTRIBUTES,
  'FifoQueue',
  ...FIFO_ONLY_ATTRIBUTES,
]);

export interface RedrivePolicy {
  readonly deadLetterTargetArn: string;
  readonly maxReceiveCount: number;
}

/** What attribute validation needs to know about other queues. */
export interface QueueLookup {
  findQueueByArn(arn: string): { readonly arn: string; readonly fifo: boolean; attribute(name: string): string | undefined } | undefined;
}

export interface NormalizeContext {
  readonly mode: 'create' | 'set';
  readonly queueArn: string;
  /** For SetQueueAttributes, whether the queue is FIFO; CreateQueue reads it from the attributes. */
  readonly fifo?: boolean;
  readonly queues: QueueLookup;
}

/**
 * Validates caller-supplied attributes and returns them in the form GetQueueAttributes will report.
 * An empty string for RedrivePolicy / RedriveAllowPolicy / Policy (SetQueueAttributes) means "remove".
 */
export function normalizeQueueAttributes(raw: Readonly<Record<string, string>>, context: NormalizeContext): Map<string, string> {
  const fifo = context.mode === 'create' ? raw['FifoQueue'] !== undefined && normalizeBoolean('FifoQueue', raw['FifoQueue']) === 'true' : context.fifo === true;
  const normalized = new Map<string, string>();
  for (const [name, value] of Object.entries(raw)) {
    normalized.set(name, normalizeOne(name, value, { ...context, fifo }));
  }
  return normalized;
}

function normalizeOne(name: string, value: string, context: NormalizeContext & { readonly fifo: boolean }): string {
  const integerRule = INTEGER_ATTRIBUTES[name];
  if (integerRule) return normalizeInteger(name, value, integerRule);
  switch (name) {
    case 'RedrivePolicy':
      return value === '' && context.mode === 'set' ? '' : normalizeRedrivePolicy(value, context);
    case 'RedriveAllowPolicy':
      return value === '' && context.mode === 'set' ? '' : normalizeRedriveAllowPolicy(value);
    case 'Policy':
      if (value !== '' && !isJsonObject(value)) throw sqsErrors.invalidAttributeValue(name);
      return value;
    case 'KmsMasterKeyId':
      return value;
    case 'SqsManagedSseEnabled':
      return normalizeBoolean(name, value);
    case 'FifoQueue':
      // A queue's type is fixed at creation ("You can't change the queue type after you create it").
      if (context.mode === 'set') throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
      return normalizeBoolean(name, value);
    case 'ContentBasedDeduplication':
      requireFifo(name, context);
      return normalizeBoolean(name, value);
    case 'DeduplicationScope':
      requireFifo(name, context);
      return normalizeChoice(name, value, ['messageGroup', 'queue']);
    case 'FifoThroughputLimit':
      requireFifo(name, context);
      return normalizeChoice(name, value, ['perQueue', 'perMessageGroupId']);
    default:
      throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
  }
}

function requireFifo(name: string, context: { readonly fifo: boolean }): void {
  if (!context.fifo) throw sqsErrors.invalidAttributeName(`You can specify the ${name} only when FifoQueue is set to true.`);
}

function normalizeChoice(name: string, value: string, choices: readonly string[]): string {
  if (!choices.includes(value)) throw sqsErrors.invalidAttributeValue(name);
  return value;
}

function normalizeInteger(name: string, value: string, rule: IntegerRule): string {
  if (!/^-?\d+$/.test(value.trim())) throw sqsErrors.invalidAttributeValue(name);
  const parsed = Number(value.trim());
  if (parsed < rule.min || parsed > rule.max) throw sqsErrors.invalidAttributeValue(name);
  return String(parsed);
}

function normalizeBoolean(name: string, value: string): string {
  const lower = value.toLowerCase();
  if (lower !== 'true' && lower !== 'false') throw sqsErrors.invalidAttributeValue(name);
  return lower;
}

function isJsonObject(value: string): boolean {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  } catch {
    return false;
  }
}

function parseJsonObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function normalizeRedrivePolicy(value: string, context: NormalizeContext & { readonly fifo: boolean }): string {
  const invalid = (reason: string) =>
    sqsErrors.invalidParameterValue(`Value ${value} for parameter RedrivePolicy is invalid. Reason: ${reason}`);
  const policy = parseJsonObject(value);
  if (!policy) throw invalid('Redrive policy is not a valid JSON map.');
  const { deadLetterTargetArn, maxReceiveCount } = policy;
  if (typeof deadLetterTargetArn !== 'string' || deadLetterTargetArn === '') {
    throw invalid('Redrive policy does not contain mandatory attribute: deadLetterTargetArn.');
  }
  // AWS accepts maxReceiveCount as a JSON number or a numeric string and reports it back as a number.
  const count = typeof maxReceiveCount === 'number' ? maxReceiveCount : typeof maxReceiveCount === 'string' && /^\d+$/.test(maxReceiveCount) ? Number(maxReceiveCount) : NaN;
  if (maxReceiveCount === undefined) throw invalid('Redrive policy does not contain mandatory attribute: maxReceiveCount.');
  if (!Number.isInteger(count) || count < 1 || count > 1000) {
    throw invalid(`Invalid value for maxReceiveCount: ${String(maxReceiveCount)}, valid values are from 1 to 1000 both inclusive.`);
  }
  if (deadLetterTargetArn === context.queueArn) throw invalid('A queue cannot be its own dead-letter queue.');
  const deadLetterQueue = context.queues.findQueueByArn(deadLetterTargetArn);
  if (!deadLetterQueue) throw invalid('Dead letter target does not exist.');
  // "the queue type must match the source queue type—a FIFO queue can only use a FIFO DLQ, and a
  // standard queue can only use a standard DLQ" (SQS Developer Guide, "Configure a dead-letter queue").
  if (deadLetterQueue.fifo !== context.fifo) {
    throw invalid(context.fifo ? 'The dead-letter queue of a FIFO queue must also be a FIFO queue.' : 'The dead-letter queue of a standard queue must also be a standard queue.');
  }
  const allowPolicy = parseJsonObject(deadLetterQueue.attribute('RedriveAllowPolicy') ?? '');
  if (allowPolicy && !redriveAllowed(allowPolicy, context.queueArn)) {
    throw invalid(`Queue ${deadLetterTargetArn} does not allow this queue to use it as a dead-letter queue (RedriveAllowPolicy).`);
  }
  const normalized: RedrivePolicy = { deadLetterTargetArn, maxReceiveCount: count };
  return JSON.stringify(normalized);
}

function redriveAllowed(allowPolicy: Record<string, unknown>, sourceArn: string): boolean {
  switch (allowPolicy['redrivePermission']) {
    case 'denyAll':
      return false;
    case 'byQueue':
      return Array.isArray(allowPolicy['sourceQueueArns']) && allowPolicy['sourceQueueArns'].includes(sourceArn);
    default:
      return true;
  }
}

function normalizeRedriveAllowPolicy(value: string): string {
  const invalid = (reason: string) =>
    sqsErrors.invalidParameterValue(`Value ${value} for parameter RedriveAllowPolicy is invalid. Reason: ${reason}`);
  const policy = parseJsonObject(value);
  if (!policy) throw invalid('Redrive allow policy is not a valid JSON map.');
  const permission = policy['redrivePermission'];
  if (permission !== 'allowAll' && permission !== 'denyAll' && permission !== 'byQueue') {
    throw invalid('redrivePermission must be one of allowAll, denyAll or byQueue.');
  }
  const sourceQueueArns = policy['sourceQueueArns'];
  if (permission !== 'byQueue') {
    if (sourceQueueArns !== undefined) throw invalid('sourceQueueArns can be specified only when redrivePermission is byQueue.');
    return JSON.stringify({ redrivePermission: permission });
  }
  if (!Array.isArray(sourceQueueArns) || sourceQueueArns.length === 0 || !sourceQueueArns.every((arn) => typeof arn === 'string')) {
    throw invalid('sourceQueueArns must be a non-empty list of queue ARNs when redrivePermission is byQueue.');
  }
  if (sourceQueueArns.length > 10) throw invalid('sourceQueueArns can contain at most 10 queue ARNs.');
  return JSON.stringify({ redrivePermission: permission, sourceQueueArns });
}

export function parseRedrivePolicy(normalized: string | undefined): RedrivePolicy | undefined {
  if (!normalized) return undefined;
  return JSON.parse(normalized) as RedrivePolicy;
}

export function integerAttribute(attributes: ReadonlyMap<string, string>, name: keyof typeof INTEGER_ATTRIBUTES): number {
  const value = attributes.get(name);
  return value === undefined ? (INTEGER_ATTRIBUTES[name]?.defaultValue ?? 0) : Number(value);
}
