import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB item sizes as AWS bills them, from the low-level AttributeValue form
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html):
 * - an attribute costs the UTF-8 length of its name plus the size of its value;
 * - strings and binaries: their byte length; numbers: about 1 byte per 2 significant digits + 1;
 * - null and booleans: 1 byte;
 * - lists and maps: 3 bytes + their elements + 1 byte per element (map keys count as names).
 */
export type AttributeMap = Readonly<Record<string, AttributeValue>>;

export function itemSize(item: AttributeMap): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name, 'utf8') + valueSize(value);
  return size;
}

export function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S, 'utf8');
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.byteLength;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, s) => sum + Buffer.byteLength(s, 'utf8'), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, b) => sum + b.byteLength, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + valueSize(element) + 1, 0);
  if (value.M !== undefined) return 3 + Object.entries(value.M).reduce((sum, [key, element]) => sum + Buffer.byteLength(key, 'utf8') + valueSize(element) + 1, 0);
  return 0;
}

/** Significant digits, leading and trailing zeros trimmed, 2 per byte, plus one byte. */
export function numberSize(text: string): number {
  const digits = text.replace(/^[-+]/, '').replace(/[eE].*$/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Write request units of one write: 1 per KB (or part) of the larger of the old and new item, at least 1. */
export function writeUnits(...sizes: number[]): number {
  return Math.max(1, Math.ceil(Math.max(0, ...sizes) / 1024));
}

/** Read request units: 1 per 4 KB (or part) for a strongly consistent read, half that for an eventually consistent one. */
export function readUnits(size: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(size / 4096));
  return consistent ? units : units / 2;
}

/**
 * The AttributeValue a native value is stored as (what the document client's marshaller produces
 * for the types Conveyor writes: strings, numbers, booleans, null, arrays, plain objects, bytes).
 */
export function toAttributeValue(value: unknown): AttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number' || typeof value === 'bigint') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value instanceof Uint8Array) return { B: value };
  if (Array.isArray(value)) return { L: value.map(toAttributeValue) };
  if (value instanceof Set) {
    const members = [...(value as Set<unknown>)];
    return typeof members[0] === 'number' ? { NS: members.map(String) } : { SS: members.map(String) };
  }
  return { M: toAttributeMap(value as Record<string, unknown>) };
}

export function toAttributeMap(record: Readonly<Record<string, unknown>>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(record)) if (value !== undefined) map[name] = toAttributeValue(value);
  return map;
}
