import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { JobStatus } from '../../../shared/domain/status.js';
import type { JobListing, JobListQuery, JobPage, RecentActivity } from '../../../shared/ports/job-listing.js';
import { toRecord } from './dynamo-job-store.js';
import { decodeCursor, encodeCursor, jobIdOfSortKey } from './page-cursor.js';

export interface DynamoJobListingOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
  /** Query calls one listing request may make while filters skip items (bounds cost and latency). */
  readonly maxQueriesPerPage?: number;
  /** Items the recent-activity read may look at before it reports `complete: false`. */
  readonly maxActivityItems?: number;
}

const INDEX = TABLE_LAYOUT.indexes.byTenant;

/**
 * JobListing on the `byTenant` GSI: one partition per tenant, sorted by createdAt#jobId, read
 * newest first. Type and status are filters inside the tenant's partition, so a filtered page may
 * read past non-matching jobs: each request makes at most `maxQueriesPerPage` queries and, when that
 * budget runs out first, returns the jobs found so far with a cursor to continue.
 */
export class DynamoJobListing implements JobListing {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;
  readonly #maxQueries: number;
  readonly #maxActivityItems: number;

  constructor(options: DynamoJobListingOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
    this.#maxQueries = options.maxQueriesPerPage ?? 10;
    this.#maxActivityItems = options.maxActivityItems ?? 5_000;
  }

  async list(tenant: string, query: JobListQuery): Promise<JobPage> {
    const scope = `jobs|${query.type ?? '*'}|${query.status ?? '*'}`;
    const names: Record<string, string> = { '#pk': INDEX.partitionKey, '#ttl': TABLE_LAYOUT.ttlAttribute };
    const values: Record<string, unknown> = { ':pk': keys.tenantJobs(tenant), ':now': this.#epochNow() };
    // TTL deletes lazily (up to days late): an expired record must never be listed.
    const filters = ['(attribute_not_exists(#ttl) OR #ttl > :now)'];
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
    const filtered = query.type !== undefined || query.status !== undefined;
    let startKey = query.cursor !== undefined ? this.#startKey(tenant, decodeCursor(scope, query.cursor)) : undefined;
    const jobs: JobRecord[] = [];
    for (let calls = 0; calls < this.#maxQueries; calls++) {
      const output = await this.#query({
        TableName: this.#tableName,
        IndexName: INDEX.name,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: filters.join(' AND '),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        // One more than asked tells whether another page exists; filters read further per call.
        Limit: filtered ? 100 : query.limit + 1,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of output.Items ?? []) jobs.push(toRecord(item));
      if (jobs.length > query.limit) {
        const page = jobs.slice(0, query.limit);
        const last = page[page.length - 1]!;
        return { jobs: page, cursor: encodeCursor(scope, keys.tenantJobSort(last.createdAt, last.jobId)) };
      }
      startKey = output.LastEvaluatedKey;
      if (!startKey) return { jobs };
    }
    // Read budget spent: hand back what was found and where the read stopped.
    return { jobs, cursor: encodeCursor(scope, String(startKey![INDEX.sortKey])) };
  }

  async recentActivity(tenant: string, since: Date): Promise<RecentActivity> {
    const counts: Record<string, Partial<Record<JobStatus, number>>> = {};
    const oldestWaiting: Record<string, string> = {};
    let scanned = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.#query({
        TableName: this.#tableName,
        IndexName: INDEX.name,
        KeyConditionExpression: '#pk = :pk AND #sk >= :since',
        FilterExpression: 'attribute_not_exists(#ttl) OR #ttl > :now',
        ProjectionExpression: '#type, #status, createdAt',
        ExpressionAttributeNames: { '#pk': INDEX.partitionKey, '#sk': INDEX.sortKey, '#ttl': TABLE_LAYOUT.ttlAttribute, '#type': 'type', '#status': 'status' },
        ExpressionAttributeValues: { ':pk': keys.tenantJobs(tenant), ':since': since.toISOString(), ':now': this.#epochNow() },
        Limit: Math.min(1_000, this.#maxActivityItems - scanned),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      for (const item of output.Items ?? []) {
        const type = String(item.type);
        const status = String(item.status) as JobStatus;
        const perType = (counts[type] ??= {});
        perType[status] = (perType[status] ?? 0) + 1;
        const createdAt = String(item.createdAt);
        // Items come oldest first within the window, so the first waiting job seen is the oldest.
        if ((status === 'QUEUED' || status === 'RETRYING') && oldestWaiting[type] === undefined) oldestWaiting[type] = createdAt;
      }
      scanned += output.ScannedCount ?? output.Items?.length ?? 0;
      startKey = output.LastEvaluatedKey;
    } while (startKey && scanned < this.#maxActivityItems);
    return { counts, oldestWaiting, scanned, complete: startKey === undefined };
  }

  #startKey(tenant: string, sortKey: string): Record<string, unknown> {
    return { [TABLE_LAYOUT.partitionKey]: keys.job(jobIdOfSortKey(sortKey)), [INDEX.partitionKey]: keys.tenantJobs(tenant), [INDEX.sortKey]: sortKey };
  }

  #epochNow(): number {
    return Math.floor(this.#now().getTime() / 1000);
  }

  async #query(input: QueryCommandInput) {
    try {
      return await this.#client.send(new QueryCommand(input));
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new DependencyUnavailableError('dynamodb', `job listing failed — ${reason}`, { cause: error });
    }
  }
}
