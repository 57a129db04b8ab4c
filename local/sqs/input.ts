import { sqsErrors } from './errors.js';

/**
 * Readers for the awsJson1_0 request body. The SDK sends well-typed JSON, so these mostly guard
 * against hand-written requests; the messages follow SQS's own wording where it has one.
 */

export type JsonObject = Readonly<Record<string, unknown>>;

export function asJsonObject(value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw sqsErrors.serialization('The request body must be a JSON object.');
  }
  return value as JsonObject;
}

export function requireString(input: JsonObject, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw sqsErrors.missingParameter(name);
  if (typeof value !== 'string') throw invalidType(name, 'a string');
  return value;
}

export function optionalString(input: JsonObject, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidType(name, 'a string');
  return value;
}

export function optionalInteger(input: JsonObject, name: string): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw invalidType(name, 'an integer');
  return value;
}

export function requireInteger(input: JsonObject, name: string): number {
  const value = optionalInteger(input, name);
  if (value === undefined) throw sqsErrors.missingParameter(name);
  return value;
}

export function optionalStringList(input: JsonObject, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) throw invalidType(name, 'a list of strings');
  return value as string[];
}

/** String maps (queue attributes, tags). Numbers and booleans are accepted and stringified, as SQS does. */
export function optionalStringMap(input: JsonObject, name: string): Record<string, string> | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalidType(name, 'a map of strings');
  const map: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item === 'string') map[key] = item;
    else if (typeof item === 'number' || typeof item === 'boolean') map[key] = String(item);
    else throw invalidType(`${name}.${key}`, 'a string');
  }
  return map;
}

const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;
const MAXIMUM_BATCH_ENTRIES = 10;

/**
 * Batch entries, checked in the order SQS checks them: none → EmptyBatchRequest, more than ten →
 * TooManyEntriesInBatchRequest, a malformed Id → InvalidBatchEntryId, a repeated Id → BatchEntryIdsNotDistinct.
 */
export function requireBatchEntries(input: JsonObject, entryShape: string): Array<JsonObject & { readonly Id: string }> {
  const value = input['Entries'];
  if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) throw sqsErrors.emptyBatchRequest(entryShape);
  if (!Array.isArray(value)) throw invalidType('Entries', 'a list');
  if (value.length > MAXIMUM_BATCH_ENTRIES) throw sqsErrors.tooManyEntriesInBatchRequest(value.length);
  const seen = new Set<string>();
  return value.map((raw: unknown) => {
    const entry = asJsonObject(raw);
    const id = entry['Id'];
    if (typeof id !== 'string' || !BATCH_ENTRY_ID.test(id)) throw sqsErrors.invalidBatchEntryId();
    if (seen.has(id)) throw sqsErrors.batchEntryIdsNotDistinct(id);
    seen.add(id);
    return entry as JsonObject & { readonly Id: string };
  });
}

function invalidType(name: string, expected: string) {
  return sqsErrors.invalidParameterValue(`Value for parameter ${name} is invalid. Reason: must be ${expected}.`);
}
