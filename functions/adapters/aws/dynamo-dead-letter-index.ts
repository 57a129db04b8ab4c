import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, PutCommand, QueryCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import type { ConveyorError } from '../../../shared/domain/errors.js';
import { dynamoFailure } from './sdk-errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import type { DeadLetterEntry, DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import type { PageCursors } from './page-cursor.js';

export interface DynamoDeadLetterIndexOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long the DLQ keeps a message (SQS counts it from the message's last send). */
  readonly dlqRetentionSeconds: number;
  /** Signs and checks page cursors; needed only to list (the consumers only add entries). */
  readonly cursors?: PageCursors;
  readonly now?: () => Date;
}

/** `count` stops here: a redrive refuses more than this anyway, and the number only needs to be honest. */
const COUNT_CAP = 100_000;

/**
 * DeadLetterIndex as small items in the job table, one partition per type (`DEADLETTERS#<type>`),
 * sorted by job id and listed newest job first. One entry per job: a job that dies again overwrites
 * its entry. An entry expires (TTL) when its DLQ message surely has.
 */
export class DynamoDeadLetterIndex implements DeadLetterIndex {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #dlqRetentionSeconds: number;
  readonly #cursors: PageCursors | undefined;
  readonly #now: () => Date;

  constructor(options: DynamoDeadLetterIndexOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#dlqRetentionSeconds = options.dlqRetentionSeconds;
    this.#cursors = options.cursors;
    this.#now = options.now ?? (() => new Date());
  }

  async add(job: JobRecord): Promise<void> {
    const deadAt = job.finishedAt ?? job.updatedAt;
    // The DLQ message was last sent at enqueue, at the last redrive (a move sends anew) or at the last
    // retry by id; DLQ retention counts from there.
    const lastSent = [job.createdAt, job.redrivenAt, job.retriedAt].filter((t): t is string => t !== undefined).sort().at(-1)!;
    const entry: DeadLetterEntry = {
      jobId: job.jobId,
      tenant: job.tenant,
      type: job.type,
      attempt: job.attempt,
      ...(job.error ? { error: job.error } : {}),
      deadAt,
      messageExpiresAt: Math.floor(Date.parse(lastSent) / 1000) + this.#dlqRetentionSeconds,
    };
    const item = { ...keys.deadLetter(job.type, job.jobId), [TABLE_LAYOUT.ttlAttribute]: entry.messageExpiresAt, entry };
    try {
      await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: item }));
    } catch (error) {
      throw unavailable('add', error);
    }
  }

  async list(type: string, options: { limit: number; cursor?: string }): Promise<{ entries: DeadLetterEntry[]; cursor?: string }> {
    const cursors = this.#cursors;
    if (!cursors) throw new ConfigurationError('DynamoDeadLetterIndex: listing needs `cursors` (page-cursor.ts)');
    const scope = `dlq|${type}`;
    const entries: DeadLetterEntry[] = [];
    let startKey: Record<string, unknown> | undefined = options.cursor !== undefined ? keys.deadLetter(type, await cursors.decode(scope, options.cursor)) : undefined;
    do {
      const output = await this.#query({ ...this.#partition(type), Limit: options.limit + 1 - entries.length, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      for (const item of output.Items ?? []) entries.push(item.entry as DeadLetterEntry);
      startKey = output.LastEvaluatedKey;
    } while (startKey && entries.length <= options.limit);
    if (entries.length <= options.limit) return { entries };
    const page = entries.slice(0, options.limit);
    const last = page[page.length - 1]!;
    return { entries: page, cursor: await cursors.encode(scope, last.jobId) };
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

  async remove(type: string, jobId: string, deadAt: string): Promise<void> {
    try {
      await this.#client.send(new DeleteCommand({
        TableName: this.#tableName,
        Key: keys.deadLetter(type, jobId),
        // Only this death's entry: if the job already died again, its new entry stays.
        ConditionExpression: 'entry.deadAt = :deadAt',
        ExpressionAttributeValues: { ':deadAt': deadAt },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw unavailable('remove', error);
    }
  }

  #partition(type: string): Omit<QueryCommandInput, 'TableName'> {
    return {
      KeyConditionExpression: '#pk = :pk',
      // An entry past its message's retention describes nothing left to redrive.
      FilterExpression: '#ttl > :now',
      ExpressionAttributeNames: { '#pk': TABLE_LAYOUT.partitionKey, '#ttl': TABLE_LAYOUT.ttlAttribute },
      ExpressionAttributeValues: { ':pk': keys.deadLetters(type), ':now': Math.floor(this.#now().getTime() / 1000) },
      ScanIndexForward: false,
    };
  }

  async #query(input: Omit<QueryCommandInput, 'TableName'>) {
    try {
      return await this.#client.send(new QueryCommand({ TableName: this.#tableName, ...input }));
    } catch (error) {
      throw unavailable('query', error);
    }
  }
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return dynamoFailure(`dead-letter index ${operation}`, error);
}
