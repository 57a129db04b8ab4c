import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { TABLE_LAYOUT } from '../../shared/config/table.js';
import { itemSize, readUnits, toAttributeMap, writeUnits, type AttributeMap } from './item-size.js';

/** One billed AWS operation, summed over a measurement window. */
export interface OperationTotals {
  readonly service: 'dynamodb' | 'sqs';
  readonly operation: string;
  /** API calls made (successful or not). */
  calls: number;
  /** Calls that failed (a failed conditional write is still billed). */
  failed: number;
  /** SQS: billed requests (one per 64 KB chunk of payload). */
  billedRequests: number;
  /** SQS ReceiveMessage: messages returned; receives that returned none. */
  messages: number;
  emptyReceives: number;
  /** DynamoDB request units: base table reads and writes, and writes to global secondary indexes. */
  readUnits: number;
  writeUnits: number;
  indexWriteUnits: number;
  /** The index writes the same calls would cost under other index layouts (what-if, by label). */
  indexWriteUnitsIf: Record<string, number>;
  /** Largest item seen by a write (bytes), to show what the per-KB rounding charges. */
  maxItemBytes: number;
}

/** What a global secondary index copies from an item (DynamoDB `Projection`). */
export interface IndexSpec {
  readonly partitionKey: string;
  readonly sortKey?: string;
  readonly projection: 'ALL' | 'KEYS_ONLY' | { readonly include: readonly string[] };
}

type Handler = (args: object) => Promise<object>;
/**
 * An SDK v3 client's middleware stack, loosely typed: the SDK types it per client over that
 * client's input/output unions, and this middleware reads any client's inputs and outputs as records.
 */
interface LooseStack {
  add(middleware: (next: Handler, context: object) => Handler, options: { step: 'build'; name: string; override: boolean }): void;
}
export interface MeteredClient {
  readonly middlewareStack: object;
}

const SQS_CHUNK_BYTES = 64 * 1024;

/**
 * The table's indexes as deployed (TABLE_LAYOUT, shared with the CDK table and the local cloud): two
 * sparse ones, written only for the jobs that carry their key (a DEAD job; a job owing a webhook or
 * waiting to be released). Jobs are listed from the table itself. Pass `indexes` to price others.
 */
export const TABLE_INDEXES: readonly IndexSpec[] = Object.values(TABLE_LAYOUT.indexes).map((index) => ({
  partitionKey: index.partitionKey,
  sortKey: index.sortKey,
  projection: index.projection === 'KEYS_ONLY' ? 'KEYS_ONLY' : { include: [...index.projection.include] },
}));

/** The primary key attributes: an item is known by both (the meter tracks each item's last size). */
const TABLE_KEYS: readonly string[] = [TABLE_LAYOUT.partitionKey, TABLE_LAYOUT.sortKey];

/**
 * Counts every AWS request the real SDK clients make, with the units AWS would bill for it.
 * A `build`-step middleware sees each call's marshalled input and its output. DynamoDB writes are
 * priced from item sizes: the meter keeps the last item it saw under each key (every write in a
 * bench run goes through metered clients), so a write is billed on the larger of the old and new
 * item, as DynamoDB does, and each index write is counted from what the index projects.
 */
export class AwsMeter {
  readonly #totals = new Map<string, OperationTotals>();
  readonly #items = new Map<string, AttributeMap>();
  readonly #indexes: readonly IndexSpec[];
  readonly #whatIf: Readonly<Record<string, readonly IndexSpec[]>>;
  readonly #tableKeys: readonly string[];

  constructor(options: { tableKeys?: readonly string[]; indexes?: readonly IndexSpec[]; whatIf?: Readonly<Record<string, readonly IndexSpec[]>> } = {}) {
    this.#tableKeys = options.tableKeys ?? TABLE_KEYS;
    this.#indexes = options.indexes ?? TABLE_INDEXES;
    this.#whatIf = options.whatIf ?? {};
  }

  /** Adds the counting middleware to a client (DynamoDB, DynamoDB document client, or SQS). */
  attach(client: MeteredClient, service: 'dynamodb' | 'sqs'): void {
    (client.middlewareStack as LooseStack).add(
      (next, context) => async (args) => {
        const operation = String((context as { commandName?: string }).commandName ?? 'Unknown').replace(/Command$/, '');
        const input = (args as { input: Record<string, unknown> }).input;
        try {
          const result = await next(args);
          const output = (result as { output: Record<string, unknown> }).output;
          if (service === 'sqs') this.#sqs(operation, input, output, true);
          else this.#dynamo(operation, input, output, true);
          return result;
        } catch (error) {
          if (service === 'sqs') this.#sqs(operation, input, {}, false);
          else this.#dynamo(operation, input, {}, false);
          throw error;
        }
      },
      { step: 'build', name: 'conveyorBenchMeter', override: true },
    );
  }

  /** Totals since the last reset, one entry per service and operation. */
  snapshot(): OperationTotals[] {
    return [...this.#totals.values()].map((t) => ({ ...t, indexWriteUnitsIf: { ...t.indexWriteUnitsIf } }));
  }

  /** Starts a new measurement window; the items seen so far stay known (they still exist). */
  reset(): void {
    this.#totals.clear();
  }

  #entry(service: 'dynamodb' | 'sqs', operation: string): OperationTotals {
    const key = `${service}:${operation}`;
    let entry = this.#totals.get(key);
    if (!entry) {
      entry = { service, operation, calls: 0, failed: 0, billedRequests: 0, messages: 0, emptyReceives: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0, indexWriteUnitsIf: {}, maxItemBytes: 0 };
      this.#totals.set(key, entry);
    }
    return entry;
  }

  #sqs(operation: string, input: Record<string, unknown>, output: Record<string, unknown>, ok: boolean): void {
    const entry = this.#entry('sqs', operation);
    entry.calls++;
    if (!ok) entry.failed++;
    // SQS bills each 64 KB chunk of a request's payload as one request (sent bodies, or received ones).
    let payload = 0;
    if (typeof input.MessageBody === 'string') payload += Buffer.byteLength(input.MessageBody, 'utf8');
    for (const e of (input.Entries as { MessageBody?: string }[] | undefined) ?? []) payload += Buffer.byteLength(e.MessageBody ?? '', 'utf8');
    const received = (output.Messages as { Body?: string }[] | undefined) ?? [];
    for (const m of received) payload += Buffer.byteLength(m.Body ?? '', 'utf8');
    entry.billedRequests += Math.max(1, Math.ceil(payload / SQS_CHUNK_BYTES));
    if (operation === 'ReceiveMessage') {
      entry.messages += received.length;
      if (received.length === 0) entry.emptyReceives++;
    }
  }

  #dynamo(operation: string, input: Record<string, unknown>, output: Record<string, unknown>, ok: boolean): void {
    const entry = this.#entry('dynamodb', operation === 'UpdateItem' ? `UpdateItem ${updateKind(input)}` : operation);
    entry.calls++;
    if (!ok) entry.failed++;
    const table = String(input.TableName ?? '');
    switch (operation) {
      case 'PutItem': {
        const item = input.Item as AttributeMap;
        this.#write(entry, table, item, item, ok);
        break;
      }
      case 'UpdateItem': {
        const key = input.Key as AttributeMap;
        // Conveyor's updates return ALL_NEW; without it the new image is unknown and the old one is billed.
        const after = ok && output.Attributes ? this.#low(output.Attributes) : undefined;
        this.#write(entry, table, key, after, ok);
        break;
      }
      case 'DeleteItem':
        this.#write(entry, table, input.Key as AttributeMap, undefined, ok, true);
        break;
      case 'GetItem': {
        const item = ok && output.Item ? this.#low(output.Item) : undefined;
        if (item) this.#items.set(this.#keyOf(table, item), item);
        entry.readUnits += readUnits(item ? itemSize(item) : 0, input.ConsistentRead === true);
        break;
      }
      case 'BatchGetItem': {
        // Each item is billed as its own GetItem: its size rounded up to 4 KB, halved unless consistent.
        const requested = (input.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>;
        for (const [name, items] of Object.entries((ok ? output.Responses : undefined) ?? {}) as [string, Record<string, unknown>[]][]) {
          for (const raw of items) {
            const item = this.#low(raw);
            this.#items.set(this.#keyOf(name, item), item);
            entry.readUnits += readUnits(itemSize(item), requested[name]?.ConsistentRead === true);
          }
        }
        break;
      }
      case 'Query':
      case 'Scan': {
        // One charge for the whole page: the summed size of the items read, per 4 KB.
        const items = ((output.Items as Record<string, unknown>[] | undefined) ?? []).map((i) => this.#low(i));
        entry.readUnits += readUnits(items.reduce((sum, i) => sum + itemSize(i), 0), input.ConsistentRead === true);
        break;
      }
      default:
        // Control-plane and batch calls are not on Conveyor's per-job path; they are counted, not priced.
        break;
    }
  }

  #write(entry: OperationTotals, table: string, keyOrItem: AttributeMap, after: AttributeMap | undefined, ok: boolean, isDelete = false): void {
    const key = this.#keyOf(table, keyOrItem);
    const before = this.#items.get(key);
    const beforeSize = before ? itemSize(before) : 0;
    const afterSize = after ? itemSize(after) : 0;
    entry.maxItemBytes = Math.max(entry.maxItemBytes, beforeSize, afterSize);
    // A failed conditional write is billed too (on the existing item's size, at least 1 unit).
    entry.writeUnits += writeUnits(beforeSize, ok ? afterSize : 0);
    if (!ok) return;
    entry.indexWriteUnits += this.#indexWrites(this.#indexes, before, isDelete ? undefined : after);
    for (const [label, indexes] of Object.entries(this.#whatIf)) {
      entry.indexWriteUnitsIf[label] = (entry.indexWriteUnitsIf[label] ?? 0) + this.#indexWrites(indexes, before, isDelete ? undefined : after);
    }
    if (isDelete) this.#items.delete(key);
    else if (after) this.#items.set(key, after);
  }

  /** Index writes of one base write: a put or delete of the index entry, or both when its key changes. */
  #indexWrites(indexes: readonly IndexSpec[], before: AttributeMap | undefined, after: AttributeMap | undefined): number {
    let units = 0;
    for (const index of indexes) {
      const oldEntry = before ? this.#projected(index, before) : undefined;
      const newEntry = after ? this.#projected(index, after) : undefined;
      if (!oldEntry && !newEntry) continue;
      if (oldEntry && newEntry) {
        const sameKey = sameValue(before?.[index.partitionKey], after?.[index.partitionKey]) && (!index.sortKey || sameValue(before?.[index.sortKey], after?.[index.sortKey]));
        if (sameKey) {
          // No projected attribute changed: DynamoDB does not write the index.
          if (!sameItem(oldEntry, newEntry)) units += writeUnits(itemSize(newEntry));
        } else {
          units += writeUnits(itemSize(oldEntry)) + writeUnits(itemSize(newEntry));
        }
      } else {
        units += writeUnits(itemSize((newEntry ?? oldEntry) as AttributeMap));
      }
    }
    return units;
  }

  /** The index entry of an item, or undefined when the item lacks the index key (sparse index). */
  #projected(index: IndexSpec, item: AttributeMap): AttributeMap | undefined {
    if (item[index.partitionKey] === undefined || (index.sortKey && item[index.sortKey] === undefined)) return undefined;
    if (index.projection === 'ALL') return item;
    const names = new Set([...this.#tableKeys, index.partitionKey, ...(index.sortKey ? [index.sortKey] : []), ...(index.projection === 'KEYS_ONLY' ? [] : index.projection.include)]);
    return Object.fromEntries(Object.entries(item).filter(([name]) => names.has(name)));
  }

  #keyOf(table: string, item: AttributeMap): string {
    return `${table}\u0000${JSON.stringify(this.#tableKeys.map((name) => item[name] ?? null))}`;
  }

  /**
   * The document client hands this middleware native values on the way out (it unmarshalls in the
   * deserialize step); marshal them back to AttributeValues to size them as DynamoDB does.
   */
  #low(value: unknown): AttributeMap {
    const record = value as Record<string, unknown>;
    const first = Object.values(record)[0];
    if (first && typeof first === 'object' && isAttributeValue(first)) return record as AttributeMap;
    return toAttributeMap(record);
  }
}

/** Which Conveyor write an UpdateItem is: the status it moves to, or a progress write. */
function updateKind(input: Record<string, unknown>): string {
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  if (values[':to']?.S) return `→ ${values[':to'].S}`;
  if (values[':progress']) return 'progress';
  return '(other)';
}

const TYPE_KEYS = new Set(['S', 'N', 'B', 'BOOL', 'NULL', 'L', 'M', 'SS', 'NS', 'BS']);

function isAttributeValue(value: object): value is AttributeValue {
  const keys = Object.keys(value);
  return keys.length === 1 && TYPE_KEYS.has(keys[0] as string);
}

function sameValue(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sameItem(a: AttributeMap, b: AttributeMap): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if (!sameValue(a[key], b[key])) return false;
  return true;
}
