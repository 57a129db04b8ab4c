import { GetCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import type { ConveyorError } from '../../../shared/domain/errors.js';
import { jobIdFloor } from '../../../shared/domain/job-id.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { RecoveryIndex } from '../../../shared/ports/recovery.js';
import { toRecord } from './dynamo-job-store.js';
import { dynamoFailure } from './sdk-errors.js';

export interface DynamoRecoveryIndexOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** Job partitions read at once; each query pages on its own. */
const CONCURRENCY = 16;
/** A function, not a module-level constant: a bundle that imports this module's neighbours but not it can then drop it. */
const sweepIndex = () => TABLE_LAYOUT.indexes.sweep;

/**
 * RecoveryIndex on the table: active tenants from their day items, pending sends by querying those
 * tenants' job partitions over a window of job ids (ids sort by creation time, so the window is a
 * key range: `sk` between the floors of its two ends), due work from the sparse sweep index.
 *
 * Reads are billed by what a query evaluates, before its filter: each job is read about once per pass
 * as its window goes by (~1 KB, a quarter of an eventually consistent read unit), and each active
 * tenant costs one query per shard per pass even when nothing is pending.
 */
export class DynamoRecoveryIndex implements RecoveryIndex {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoRecoveryIndexOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async activeTenantHashes(from: Date, to: Date): Promise<string[]> {
    const hashes = new Set<string>();
    for (const day of daysBetween(new Date(from.getTime() - 86_400_000), to)) {
      await this.#pages({
        TableName: this.#tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey },
        ExpressionAttributeValues: { ':pk': keys.activeTenants(day) },
      }, (item) => void hashes.add(String(item[TABLE_LAYOUT.sortKey])));
    }
    return [...hashes].sort();
  }

  async pendingSends(tenantHashes: readonly string[], from: Date, to: Date): Promise<JobRecord[]> {
    const partitions = [...new Set(tenantHashes)].flatMap((hash) => keys.jobPartitionsOfHash(hash));
    const records: JobRecord[] = [];
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(CONCURRENCY, partitions.length) }, async () => {
      while (next < partitions.length) {
        const pk = partitions[next++]!;
        await this.#pages({
          TableName: this.#tableName,
          // Ids created in [from, to): every id at or after `from` sorts above its floor, every id before `to` below its floor.
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          FilterExpression: 'attribute_exists(#sendPending)',
          ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey, '#sk': TABLE_LAYOUT.sortKey, '#sendPending': 'sendPending' },
          ExpressionAttributeValues: { ':pk': pk, ':from': jobIdFloor(from), ':to': jobIdFloor(to) },
        }, (item) => void records.push(toRecord(item)));
      }
    }));
    return records.sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
  }

  async dueForSweep(now: Date, limit: number): Promise<{ jobId: string; sweepAt: string }[]> {
    // One page of at most `limit` per shard, soonest first; what does not fit waits for the next run.
    const perShard = await Promise.all(keys.sweepShards().map(async (shard) => {
      const output = await this.#query({
        TableName: this.#tableName,
        IndexName: sweepIndex().name,
        KeyConditionExpression: '#shard = :shard AND #at <= :now',
        ExpressionAttributeNames: { '#shard': sweepIndex().partitionKey, '#at': sweepIndex().sortKey },
        ExpressionAttributeValues: { ':shard': shard, ':now': now.toISOString() },
        Limit: limit,
      });
      return (output.Items ?? []).map((item) => ({ jobId: String(item[TABLE_LAYOUT.sortKey]), sweepAt: String(item[sweepIndex().sortKey]) }));
    }));
    return perShard.flat().sort((a, b) => (a.sweepAt < b.sweepAt ? -1 : 1)).slice(0, limit);
  }

  async watermark(pass: string): Promise<Date | undefined> {
    try {
      const { Item } = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: keys.sweepWatermark(pass), ConsistentRead: true }));
      return typeof Item?.at === 'string' ? new Date(Item.at) : undefined;
    } catch (error) {
      throw unavailable('watermark read', error);
    }
  }

  async setWatermark(pass: string, at: Date): Promise<void> {
    try {
      await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: { ...keys.sweepWatermark(pass), at: at.toISOString() } }));
    } catch (error) {
      throw unavailable('watermark write', error);
    }
  }

  async #pages(input: QueryCommandInput, each: (item: Record<string, unknown>) => void): Promise<void> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.#query({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      for (const item of output.Items ?? []) each(item);
      startKey = output.LastEvaluatedKey;
    } while (startKey);
  }

  async #query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    try {
      return await this.#client.send(new QueryCommand(input));
    } catch (error) {
      throw unavailable('query', error);
    }
  }
}

/** UTC days (`yyyy-mm-dd`) from `from`'s to `to`'s, inclusive. */
function daysBetween(from: Date, to: Date): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from.toISOString().slice(0, 10)}T00:00:00Z`); t <= to.getTime(); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  return days;
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return dynamoFailure(`recovery index ${operation}`, error);
}
