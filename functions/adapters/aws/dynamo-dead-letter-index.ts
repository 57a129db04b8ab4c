import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import type { DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import { WEBHOOKS_QUEUE } from '../../../shared/ports/webhook-log.js';
import { dynamoFailure } from './sdk-errors.js';
import type { PageCursors } from './page-cursor.js';

export interface DynamoDeadLetterIndexOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Signs and checks page cursors; needed only to list a page after the first. */
  readonly cursors?: PageCursors;
  readonly now?: () => Date;
}

/** `count` stops here: a redrive refuses more than this anyway, and the number only needs to be honest. */
const COUNT_CAP = 100_000;
/** A function, not a module-level constant: a bundle that imports this module's neighbours but not it can then drop it. */
const deadLetterIndex = () => TABLE_LAYOUT.indexes.deadLetters;

/**
 * DeadLetterIndex on the table's sparse `deadLetters` index: a DEAD job's own item carries
 * `deadLetterType` (the index partition) and `deadLetterUntil` (projected), both written by the DEAD
 * write itself, so the listing never lags behind or outlives the status. Sorted by job id, listed newest
 * first; a job whose DLQ message has surely expired is left out.
 */
export class DynamoDeadLetterIndex implements DeadLetterIndex {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #cursors: PageCursors | undefined;
  readonly #now: () => Date;

  constructor(options: DynamoDeadLetterIndexOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#cursors = options.cursors;
    this.#now = options.now ?? (() => new Date());
  }

  async list(type: string, options: { limit: number; cursor?: string }): Promise<{ jobIds: string[]; cursor?: string }> {
    const scope = `dlq|${type}`;
    const jobIds: string[] = [];
    let startKey: Record<string, unknown> | undefined = options.cursor !== undefined ? this.#startKey(type, await this.#pageCursors().decode(scope, options.cursor)) : undefined;
    do {
      const output = await this.#query({ ...this.#partition(type), Limit: options.limit + 1 - jobIds.length, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      for (const item of output.Items ?? []) jobIds.push(String(item[TABLE_LAYOUT.sortKey]));
      startKey = output.LastEvaluatedKey;
    } while (startKey && jobIds.length <= options.limit);
    if (jobIds.length <= options.limit) return { jobIds };
    const page = jobIds.slice(0, options.limit);
    return { jobIds: page, cursor: await this.#pageCursors().encode(scope, page[page.length - 1]!) };
  }

  async after(type: string, options: { limit: number; after?: string }): Promise<string[]> {
    const jobIds: string[] = [];
    let startKey = options.after !== undefined ? this.#startKey(type, options.after) : undefined;
    do {
      const output = await this.#query({ ...this.#partition(type), Limit: options.limit - jobIds.length, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      for (const item of output.Items ?? []) jobIds.push(String(item[TABLE_LAYOUT.sortKey]));
      startKey = output.LastEvaluatedKey;
    } while (startKey && jobIds.length < options.limit);
    return jobIds;
  }

  /** Cursors are needed only past a first page. */
  #pageCursors(): PageCursors {
    if (!this.#cursors) throw new ConfigurationError('DynamoDeadLetterIndex: paging needs `cursors` (page-cursor.ts)');
    return this.#cursors;
  }

  async count(type: string): Promise<number> {
    let total = 0;
    let startKey: Record<string, unknown> | undefined;
    do {
      const output = await this.#query({ ...this.#partition(type), Select: 'COUNT', ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      total += output.Count ?? 0;
      startKey = output.LastEvaluatedKey;
    } while (startKey && total < COUNT_CAP);
    return total;
  }

  /** An index query resumes from the index key and the table key of the last item. */
  #startKey(type: string, jobId: string): Record<string, unknown> | undefined {
    const key = type === WEBHOOKS_QUEUE ? keys.webhookDeadLetter(jobId) : keys.job(jobId);
    return key ? { ...key, [deadLetterIndex().partitionKey]: type } : undefined;
  }

  #partition(type: string): Omit<QueryCommandInput, 'TableName'> {
    return {
      IndexName: deadLetterIndex().name,
      KeyConditionExpression: '#type = :type',
      // A job past its message's retention describes nothing left to redrive.
      FilterExpression: '#until > :now',
      ExpressionAttributeNames: { '#type': deadLetterIndex().partitionKey, '#until': 'deadLetterUntil' },
      ExpressionAttributeValues: { ':type': type, ':now': Math.floor(this.#now().getTime() / 1000) },
      ScanIndexForward: false,
    };
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>) {
    try {
      return await this.#client.send(new QueryCommand({ TableName: this.#tableName, ...input }));
    } catch (error) {
      // A configuration fault, a bug, or unavailable (sdk-errors.ts).
      throw dynamoFailure('dead-letter index query', error);
    }
  }
}
