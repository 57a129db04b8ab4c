import { sqsErrors } from './errors.js';
import { md5Hex, md5OfMessageAttributes, type MessageAttributeMap, type MessageAttributeValue } from './md5.js';

/**
 * Message content: what a producer sent, validated the way SendMessage validates it, plus the
 * digests SQS reports. Immutable, so the copy a message leaves in a dead-letter queue or the copy a
 * move task redrives can share it.
 */
export interface MessageContent {
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: MessageAttributeMap | undefined;
  /** Digest over all attributes; a receive that filters attributes digests the subset it returns. */
  readonly md5OfMessageAttributes: string | undefined;
  readonly awsTraceHeader: string | undefined;
  readonly md5OfMessageSystemAttributes: string | undefined;
  /** Required on FIFO queues; standard queues accept it since fair queues (July 2025) and report it back. */
  readonly messageGroupId: string | undefined;
  /** Body plus attribute bytes: what counts against MaximumMessageSize and the batch limit. */
  readonly size: number;
}

export interface SendInput {
  readonly body: unknown;
  readonly messageAttributes: unknown;
  readonly messageSystemAttributes: unknown;
  readonly messageGroupId: unknown;
  readonly messageDeduplicationId: unknown;
}

// XML 1.0 characters, the set SQS accepts in bodies and String attribute values (SendMessage reference).
// The tab, line feed and carriage return control characters are part of that set, hence the rule exception.
// eslint-disable-next-line no-control-regex
const INVALID_CHARACTER = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const ATTRIBUTE_TYPE = /^(String|Number|Binary)(\..+)?$/;
const NUMBER_VALUE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAXIMUM_ATTRIBUTES = 10;

/** Validates a send for a queue; FIFO-only rules (group id required, deduplication) are in fifo.ts. */
export function buildMessageContent(input: SendInput, queue: { readonly maximumMessageSize: number; readonly fifo: boolean }): MessageContent {
  const maximumMessageSize = queue.maximumMessageSize;
  const body = input.body;
  if (body === undefined || body === null || body === '') throw sqsErrors.missingParameter('MessageBody');
  if (typeof body !== 'string') throw sqsErrors.invalidParameterValue('Value for parameter MessageBody is invalid. Reason: must be a string.');
  if (INVALID_CHARACTER.test(body)) throw sqsErrors.invalidMessageContents();
  if (!queue.fifo && input.messageDeduplicationId !== undefined) {
    throw sqsErrors.invalidParameterValue(
      `Value ${String(input.messageDeduplicationId)} for parameter MessageDeduplicationId is invalid. Reason: The request includes a parameter that is not valid for this queue type.`,
    );
  }
  const messageGroupId = readMessageGroupId(input.messageGroupId);
  const messageAttributes = readAttributeMap(input.messageAttributes, 'user');
  const systemAttributes = readSystemAttributes(input.messageSystemAttributes);
  const size = Buffer.byteLength(body, 'utf8') + attributesSize(messageAttributes);
  if (size > maximumMessageSize) {
    throw sqsErrors.invalidParameterValue(`One or more parameters are invalid. Reason: Message must be shorter than ${maximumMessageSize} bytes.`);
  }
  return {
    body,
    md5OfBody: md5Hex(body),
    messageAttributes,
    md5OfMessageAttributes: messageAttributes ? md5OfMessageAttributes(messageAttributes) : undefined,
    awsTraceHeader: systemAttributes?.['AWSTraceHeader']?.StringValue,
    md5OfMessageSystemAttributes: systemAttributes ? md5OfMessageAttributes(systemAttributes) : undefined,
    messageGroupId,
    size,
  };
}

function readMessageGroupId(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^[\x21-\x7E]{1,128}$/.test(value)) {
    throw sqsErrors.invalidParameterValue(
      `Value ${String(value)} for parameter MessageGroupId is invalid. Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
    );
  }
  return value;
}

function readSystemAttributes(value: unknown): MessageAttributeMap | undefined {
  const attributes = readAttributeMap(value, 'system');
  if (!attributes) return undefined;
  for (const [name, attribute] of Object.entries(attributes)) {
    // AWSTraceHeader is the only message system attribute a producer may set (SendMessage reference).
    if (name !== 'AWSTraceHeader') {
      throw sqsErrors.invalidParameterValue(`Message system attribute name '${name}' is invalid.`);
    }
    if (attribute.DataType !== 'String' || attribute.StringValue === undefined) {
      throw sqsErrors.invalidParameterValue(`Message system attribute '${name}' must be of type 'String'.`);
    }
  }
  return attributes;
}

function readAttributeMap(value: unknown, kind: 'user' | 'system'): MessageAttributeMap | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw sqsErrors.invalidParameterValue(`Message (${kind}) attributes must be a map.`);
  }
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 0) return undefined;
  if (entries.length > MAXIMUM_ATTRIBUTES) {
    throw sqsErrors.invalidParameterValue(`Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAXIMUM_ATTRIBUTES}].`);
  }
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [name, raw] of entries) {
    attributes[name] = readAttribute(name, raw, kind);
  }
  return attributes;
}

function readAttribute(name: string, raw: unknown, kind: 'user' | 'system'): MessageAttributeValue {
  if (kind === 'user') validateAttributeName(name);
  if (typeof raw !== 'object' || raw === null) throw sqsErrors.invalidParameterValue(`The message attribute '${name}' must be a structure.`);
  const { DataType, StringValue, BinaryValue, StringListValues, BinaryListValues } = raw as Record<string, unknown>;
  if (typeof DataType !== 'string' || DataType === '') {
    throw sqsErrors.invalidParameterValue(`The message attribute '${name}' must contain a non-empty message attribute type.`);
  }
  if (!ATTRIBUTE_TYPE.test(DataType) || DataType.length > 256) {
    throw sqsErrors.invalidParameterValue(
      `The type of message (${kind}) attribute '${name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String.`,
    );
  }
  // The list forms are "reserved for future use" in the API reference and rejected by the service.
  if (StringListValues !== undefined || BinaryListValues !== undefined) {
    throw sqsErrors.invalidParameterValue(`Message attribute list values in SendMessage operation are not supported.`);
  }
  if (DataType.startsWith('Binary')) {
    if (typeof BinaryValue !== 'string' || BinaryValue === '') {
      throw sqsErrors.invalidParameterValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
    }
    return { DataType, BinaryValue };
  }
  if (typeof StringValue !== 'string' || StringValue === '') {
    const field = DataType.startsWith('Number') ? 'Number' : 'String';
    throw sqsErrors.invalidParameterValue(`The message attribute '${name}' with type '${field}' must use field 'String'.`);
  }
  if (INVALID_CHARACTER.test(StringValue)) throw sqsErrors.invalidMessageContents();
  if (DataType.startsWith('Number') && !NUMBER_VALUE.test(StringValue)) {
    throw sqsErrors.invalidParameterValue(`Can't convert the value of message attribute '${name}' to a number.`);
  }
  return { DataType, StringValue };
}

// Naming rules from "Message attribute components" in the SQS Developer Guide.
function validateAttributeName(name: string): void {
  const lower = name.toLowerCase();
  if (!ATTRIBUTE_NAME.test(name) || name.startsWith('.') || name.endsWith('.') || name.includes('..')) {
    throw sqsErrors.invalidParameterValue(
      `Message (user) attribute name '${name}' is invalid. Names can contain alphanumeric characters, hyphens, underscores and periods, must not start or end with a period or contain consecutive periods, and can be up to 256 characters long.`,
    );
  }
  if (lower.startsWith('aws.') || lower.startsWith('amazon.')) {
    throw sqsErrors.invalidParameterValue(`You can't use message attribute names beginning with 'AWS.' or 'Amazon.'. These strings are reserved for internal use.`);
  }
}

function attributesSize(attributes: MessageAttributeMap | undefined): number {
  if (!attributes) return 0;
  let size = 0;
  for (const [name, attribute] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, 'utf8') + Buffer.byteLength(attribute.DataType, 'utf8');
    if (attribute.StringValue !== undefined) size += Buffer.byteLength(attribute.StringValue, 'utf8');
    if (attribute.BinaryValue !== undefined) size += Buffer.byteLength(attribute.BinaryValue, 'base64');
  }
  return size;
}

/**
 * Which user attributes a receive returns: `All` or `.*` selects everything, `prefix.*` a prefix,
 * anything else an exact name (ReceiveMessage reference, MessageAttributeNames).
 */
export function selectMessageAttributes(attributes: MessageAttributeMap | undefined, requested: readonly string[] | undefined): MessageAttributeMap | undefined {
  if (!attributes || !requested || requested.length === 0) return undefined;
  if (requested.includes('All') || requested.includes('.*')) return attributes;
  const selected: Record<string, MessageAttributeValue> = {};
  let count = 0;
  for (const [name, value] of Object.entries(attributes)) {
    const wanted = requested.some((pattern) => (pattern.endsWith('.*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern));
    if (wanted) {
      selected[name] = value;
      count++;
    }
  }
  return count > 0 ? selected : undefined;
}
