import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { dynamoFailure } from './sdk-errors.js';
import { jobIdFloor, jobIdTime } from '../../../shared/domain/job-id.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import { dueAt } from '../../../shared/domain/waiting.js';
import type { JobListing, JobListQuery, JobPage, RecentActivity } from '../../../shared/ports/job-listing.js';
import { toRecord } from './dynamo-job-store.js';
import type { PageCursors } from './page-cursor.js';

export interface DynamoJobListingOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Signs and checks the page cursors (page-cursor.ts). */
  readonly cursors: PageCursors;
  readonly now?: () => Date;
  /**
   * Query calls one listing request may make while filters skip items (bounds cost and latency).
   * Never fewer than two per shard: every shard is read once before anything is returned.
   */
  readonly maxQueriesPerPage?: number;
  /** Items a filtered query evaluates per call (filters skip items, so it looks further than a page). */
  readonly filteredReadSize?: number;
  /** Items the recent-activity read may look at before it reports `complete: false`. */
  readonly maxActivityItems?: number;
}

/** One shard's partition as a listing request reads it. */
interface ShardCursor {
  readonly pk: string;
  /** Matching jobs read but not yet returned, newest first. */
  readonly buffered: JobRecord[];
  /** Where the next query resumes; absent before the first query. */
  startKey?: Record<string, unknown>;
  /** The lowest sort key evaluated so far: everything above it has been read. */
  evaluatedTo?: string;
  done: boolean;
}

/**
 * JobListing on the table's own keys (shared/config/table.ts): a tenant's jobs live in
 * `TABLE_LAYOUT.jobShards` partitions, each sorted by job id (= creation time). A page queries every
 * shard backwards and merges them newest first, asking each shard for about its share of the page and
 * reading more from a shard only when the merge needs its next job. The cursor is the last job id
 * returned; the next page reads `sk < cursor` in every shard. Items of another tenant whose hash
 * collides with this one's are filtered out by the `tenant` attribute, and never returned.
 *
 * Type and status are filters too, so a filtered page may read past non-matching jobs: each request
 * makes at most `maxQueriesPerPage` queries and, when that budget runs out first, returns the jobs it
 * can place in order with a cursor to continue from.
 */
export class DynamoJobListing implements JobListing {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #cursors: PageCursors;
  readonly #now: () => Date;
  readonly #maxQueries: number;
  readonly #filteredReadSize: number;
  readonly #maxActivityItems: number;

  constructor(options: DynamoJobListingOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#cursors = options.cursors;
    this.#now = options.now ?? (() => new Date());
    this.#maxQueries = Math.max(options.maxQueriesPerPage ?? 12, 2 * TABLE_LAYOUT.jobShards);
    this.#filteredReadSize = options.filteredReadSize ?? 100;
    this.#maxActivityItems = options.maxActivityItems ?? 5_000;
  }

  async list(tenant: string, query: JobListQuery): Promise<JobPage> {
    // A cursor is good only for the tenant and filters it was issued for.
    const scope = `jobs|${tenant}|${query.type ?? '*'}|${query.status ?? '*'}`;
    const before = query.cursor !== undefined ? await this.#cursors.decode(scope, query.cursor) : undefined;
    const names: Record<string, string> = { '#pk': TABLE_LAYOUT.partitionKey, '#ttl': TABLE_LAYOUT.ttlAttribute, '#tenant': 'tenant' };
    const values: Record<string, unknown> = { ':tenant': tenant, ':now': this.#epochNow() };
    // Another tenant may share these partitions (hash collision); TTL deletes lazily (up to days late):
    // neither kind of item may ever be listed.
    const filters = ['#tenant = :tenant', '(attribute_not_exists(#ttl) OR #ttl > :now)'];
    if (query.type !== undefined) {
      names['#type'] = 'type';
      values[':type'] = query.type;
      filters.push('#type = :type');
    }
    if (query.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = query.status;
      filters.push('#status = :status');
    }
    let condition = '#pk = :pk';
    if (before !== undefined) {
      names['#sk'] = TABLE_LAYOUT.sortKey;
      values[':before'] = before;
      condition += ' AND #sk < :before';
    }
    const filtered = query.type !== undefined || query.status !== undefined;
    const shards: ShardCursor[] = keys.tenantJobPartitions(tenant).map((pk) => ({ pk, buffered: [], done: false }));
    let queries = 0;
    const read = async (shard: ShardCursor, wanted: number): Promise<void> => {
      queries++;
      const output = await this.#query({
        TableName: this.#tableName,
        KeyConditionExpression: condition,
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':pk': shard.pk },
        ScanIndexForward: false,
        Limit: filtered ? this.#filteredReadSize : Math.max(1, wanted),
        ...(shard.startKey ? { ExclusiveStartKey: shard.startKey } : {}),
      });
      for (const item of output.Items ?? []) shard.buffered.push(toRecord(item));
      shard.startKey = output.LastEvaluatedKey;
      shard.done = shard.startKey === undefined;
      if (shard.startKey) shard.evaluatedTo = String(shard.startKey[TABLE_LAYOUT.sortKey]);
    };

    // Each shard holds about 1/N of the newest jobs: ask each for its share (plus one) of limit + 1
    // (one more than asked tells whether another page exists).
    await Promise.all(shards.map((shard) => read(shard, Math.ceil((query.limit + 1) / shards.length) + 1)));
    const page: JobRecord[] = [];
    for (;;) {
      // The merge can only take the newest buffered job once every shard that may hold a newer one
      // has a job buffered (or is read to its end).
      const starved = shards.filter((shard) => shard.buffered.length === 0 && !shard.done);
      if (starved.length > 0) {
        if (queries + starved.length > this.#maxQueries) break;
        await Promise.all(starved.map((shard) => read(shard, query.limit + 1 - page.length)));
        continue;
      }
      const newest = newestHead(shards);
      if (!newest) return { jobs: page };
      if (page.length === query.limit) return { jobs: page, cursor: await this.#cursors.encode(scope, page[page.length - 1]!.jobId) };
      page.push(newest.buffered.shift()!);
    }

    // Read budget spent. Every job not yet read sorts below the highest point a starved shard was read
    // to, so buffered jobs at or above it can still be placed in order; the rest are read again from
    // the cursor.
    const frontier = shards.filter((shard) => !shard.done).map((shard) => shard.evaluatedTo!).sort().at(-1)!;
    for (let newest = newestHead(shards); newest && newest.buffered[0]!.jobId >= frontier && page.length < query.limit; newest = newestHead(shards)) {
      page.push(newest.buffered.shift()!);
    }
    return { jobs: page, cursor: await this.#cursors.encode(scope, page.length === query.limit ? page[page.length - 1]!.jobId : frontier) };
  }

  async recentActivity(tenant: string, since: Date, now: Date): Promise<RecentActivity> {
    const counts: Record<string, Partial<Record<JobStatus, number>>> = {};
    const oldestDueAt: Record<string, string> = {};
    const held: Record<string, { count: number; nextRunAt: string }> = {};
    const nowMs = now.getTime();
    const partitions = keys.tenantJobPartitions(tenant);
    // The read budget is shared evenly: the shards hold about equal shares of any time window.
    const budget = Math.ceil(this.#maxActivityItems / partitions.length);
    const perShard = await Promise.all(partitions.map(async (pk) => {
      let scanned = 0;
      let startKey: Record<string, unknown> | undefined;
      do {
        const output = await this.#query({
          TableName: this.#tableName,
          KeyConditionExpression: '#pk = :pk AND #sk >= :since',
          FilterExpression: '#tenant = :tenant AND (attribute_not_exists(#ttl) OR #ttl > :now)',
          // A projection does not lower the read's cost (DynamoDB meters the items read), only its size.
          ProjectionExpression: '#sk, #type, #status, #updatedAt, #runAt, #nextAttemptAt, #redrivenAt, #retriedAt',
          ExpressionAttributeNames: {
            '#pk': TABLE_LAYOUT.partitionKey, '#sk': TABLE_LAYOUT.sortKey, '#ttl': TABLE_LAYOUT.ttlAttribute, '#tenant': 'tenant', '#type': 'type', '#status': 'status',
            '#updatedAt': 'updatedAt', '#runAt': 'runAt', '#nextAttemptAt': 'nextAttemptAt', '#redrivenAt': 'redrivenAt', '#retriedAt': 'retriedAt',
          },
          ExpressionAttributeValues: { ':pk': pk, ':since': jobIdFloor(since), ':tenant': tenant, ':now': this.#epochNow() },
          Limit: Math.min(1_000, budget - scanned),
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        });
        for (const item of output.Items ?? []) {
          const type = String(item.type);
          const status = String(item.status) as JobStatus;
          const perType = (counts[type] ??= {});
          perType[status] = (perType[status] ?? 0) + 1;
          const createdAt = jobIdTime(String(item[TABLE_LAYOUT.sortKey]))!;
          const due = dueAt({ status, createdAt, ...pick(item, ['updatedAt', 'runAt', 'nextAttemptAt', 'redrivenAt', 'retriedAt']) });
          if (due === undefined) continue;
          if (Date.parse(due) <= nowMs) {
            const oldest = oldestDueAt[type];
            if (oldest === undefined || Date.parse(due) < Date.parse(oldest)) oldestDueAt[type] = due;
          } else if (status === 'QUEUED') {
            const entry = (held[type] ??= { count: 0, nextRunAt: due });
            entry.count++;
            if (Date.parse(due) < Date.parse(entry.nextRunAt)) entry.nextRunAt = due;
          }
        }
        scanned += output.ScannedCount ?? output.Items?.length ?? 0;
        startKey = output.LastEvaluatedKey;
      } while (startKey && scanned < budget);
      return { scanned, complete: startKey === undefined };
    }));
    return {
      counts,
      oldestDueAt,
      held,
      scanned: perShard.reduce((sum, shard) => sum + shard.scanned, 0),
      complete: perShard.every((shard) => shard.complete),
    };
  }

  #epochNow(): number {
    return Math.floor(this.#now().getTime() / 1000);
  }

  async #query(input: QueryCommandInput) {
    try {
      return await this.#client.send(new QueryCommand(input));
    } catch (error) {
      throw dynamoFailure('job listing', error, this.#tableName);
    }
  }
}

/** The shard whose next buffered job is the newest of all, if any job is buffered. */
function newestHead(shards: readonly ShardCursor[]): ShardCursor | undefined {
  let newest: ShardCursor | undefined;
  for (const shard of shards) {
    const head = shard.buffered[0];
    if (head && (!newest || head.jobId > newest.buffered[0]!.jobId)) newest = shard;
  }
  return newest;
}

/** The string attributes of `item` among `names` (absent ones left out). */
function pick<K extends string>(item: Record<string, unknown>, names: readonly K[]): Partial<Record<K, string>> {
  const picked: Partial<Record<K, string>> = {};
  for (const name of names) {
    const value = item[name];
    if (typeof value === 'string') picked[name] = value;
  }
  return picked;
}
