import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, type TableKey } from '../../../shared/config/table.js';
import type { ConveyorError } from '../../../shared/domain/errors.js';
import { ConfigurationError, DependencyUnavailableError, JobAlreadyExistsError, TransitionConflictError } from '../../../shared/domain/errors.js';
import { dynamoFailure } from './sdk-errors.js';
import { jobIdTime } from '../../../shared/domain/job-id.js';
import type { JobRecord, SendPending } from '../../../shared/domain/job.js';
import type { JobStore, Transition } from '../../../shared/ports/job-store.js';

export interface DynamoJobStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
  /** Waits before asking again for keys a BatchGetItem left unprocessed (throttling, or over 16 MB). */
  readonly unprocessedRetryDelaysMs?: readonly number[];
}

/**
 * BatchGetItem takes at most 100 keys per call, and no key twice (either is a ValidationException):
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
 */
const MAX_BATCH_GET_KEYS = 100;

/**
 * JobStore on one DynamoDB table. Every status change is an UpdateItem with a condition on the
 * expected status (and attempt); `ConditionalCheckFailedException` becomes `TransitionConflictError`.
 * Any other failure is classified once (sdk-errors.ts): a deployment fault (ConfigurationError), a
 * request DynamoDB refused (DependencyRequestError, a bug) or an outage (DependencyUnavailableError:
 * callers answer 503 or retry).
 *
 * The item holds what cannot be derived (writes are billed per started KB of the larger of the old and
 * new item, so every attribute counts): the job id is the sort key, not an attribute; `createdAt` is
 * the time in the id and is stored only when it differs; `updatedAt` is stored only when it says more
 * than `createdAt` or `finishedAt` (a terminal write removes it: it ends at `finishedAt`). `toRecord`
 * puts all three back, so callers see the whole JobRecord.
 *
 * `sweepShard`, the partition key of the sparse sweep index (shared/config/table.ts), follows
 * `sweepAt`: written and removed with it, derived from the job id, and never part of the record.
 */
export class DynamoJobStore implements JobStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;
  readonly #unprocessedRetryDelaysMs: readonly number[];

  constructor(options: DynamoJobStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
    this.#unprocessedRetryDelaysMs = options.unprocessedRetryDelaysMs ?? [25, 100, 400];
  }

  async create(job: JobRecord): Promise<void> {
    const key = keys.job(job.jobId);
    if (!key) throw new ConfigurationError(`job id ${job.jobId} is not a Conveyor job id (shared/domain/job-id.ts): its record would have no key`);
    const { jobId: _inTheKey, createdAt, updatedAt, ...rest } = job;
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...key,
            ...rest,
            ...(rest.sweepAt !== undefined ? { sweepShard: keys.sweepShard(job.jobId) } : {}),
            ...(createdAt !== jobIdTime(job.jobId) ? { createdAt } : {}),
            ...(updatedAt !== createdAt ? { updatedAt } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new JobAlreadyExistsError(job.jobId);
      throw unavailable('create', error);
    }
  }

  async get(jobId: string, options: { tenant?: string; consistent?: boolean } = {}): Promise<JobRecord | undefined> {
    const key = keys.job(jobId);
    if (!key) return undefined;
    let item: Record<string, unknown> | undefined;
    try {
      const output = await this.#client.send(
        new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: options.consistent ?? true }),
      );
      item = output.Item;
    } catch (error) {
      throw unavailable('get', error);
    }
    if (!item) return undefined;
    const job = this.#live(item);
    if (job && options.tenant !== undefined && job.tenant !== options.tenant) return undefined;
    return job;
  }

  /**
   * BatchGetItem, 100 keys per call. A call may answer only part of its keys (`UnprocessedKeys`: the
   * table throttled, or the answer passed 16 MB); those are asked for again after a short wait, as
   * the API reference asks, and a read that still leaves keys unprocessed fails as unavailable.
   * A strongly consistent read costs the same read units per item as GetItem; only the calls are fewer.
   */
  async getMany(jobIds: readonly string[], options: { consistent?: boolean } = {}): Promise<Map<string, JobRecord>> {
    const found = new Map<string, JobRecord>();
    const pending = new Map<string, TableKey>();
    for (const jobId of jobIds) {
      const key = keys.job(jobId);
      if (key) pending.set(jobId, key);
    }
    const ids = [...pending.keys()];
    const calls: Promise<void>[] = [];
    for (let i = 0; i < ids.length; i += MAX_BATCH_GET_KEYS) {
      calls.push(this.#batchGet(ids.slice(i, i + MAX_BATCH_GET_KEYS).map((id) => pending.get(id)!), options.consistent ?? true, found));
    }
    await Promise.all(calls);
    return found;
  }

  async #batchGet(keysToRead: TableKey[], consistent: boolean, found: Map<string, JobRecord>): Promise<void> {
    let remaining = keysToRead;
    for (let round = 0; ; round++) {
      let output;
      try {
        output = await this.#client.send(new BatchGetCommand({ RequestItems: { [this.#tableName]: { Keys: remaining, ConsistentRead: consistent } } }));
      } catch (error) {
        throw unavailable('getMany', error);
      }
      for (const item of output.Responses?.[this.#tableName] ?? []) {
        const job = this.#live(item);
        if (job) found.set(job.jobId, job);
      }
      remaining = (output.UnprocessedKeys?.[this.#tableName]?.Keys ?? []) as TableKey[];
      if (remaining.length === 0) return;
      const delayMs = this.#unprocessedRetryDelaysMs[round];
      if (delayMs === undefined) throw new DependencyUnavailableError('dynamodb', `job store getMany failed — ${remaining.length} key(s) still unprocessed after ${round + 1} calls`);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }

  /** The record an item holds, or undefined when it has expired (DynamoDB deletes expired items lazily, up to days later). */
  #live(item: Record<string, unknown>): JobRecord | undefined {
    const job = toRecord(item);
    if (job.ttl !== undefined && job.ttl <= Math.floor(this.#now().getTime() / 1000)) return undefined;
    return job;
  }

  async transition(transition: Transition): Promise<JobRecord> {
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':to': transition.to };
    const sets = ['#status = :to'];
    // A write that sets finishedAt updates the job at finishedAt: updatedAt is derived from it, not stored.
    const ends = transition.set?.finishedAt !== undefined;
    if (!ends) {
      values[':now'] = this.#now().toISOString();
      sets.push('#updatedAt = :now');
    }
    for (const [field, value] of Object.entries(transition.set ?? {})) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    if (transition.set?.sweepAt !== undefined) {
      names['#sweepShard'] = 'sweepShard';
      values[':sweepShard'] = keys.sweepShard(transition.jobId);
      sets.push('#sweepShard = :sweepShard');
    }
    const removed: string[] = [...(transition.remove ?? []), ...(transition.remove?.includes('sweepAt') ? ['sweepShard'] : [])];
    const removes = [...removed, ...(ends ? ['updatedAt'] : [])].map((field) => {
      names[`#${field}`] = field;
      return `#${field}`;
    });
    const fromPlaceholders = transition.from.map((status, index) => {
      values[`:from${index}`] = status;
      return `:from${index}`;
    });
    let condition = `#status IN (${fromPlaceholders.join(', ')})`;
    if (transition.attemptAtMost !== undefined) {
      names['#attempt'] = 'attempt';
      values[':attemptAtMost'] = transition.attemptAtMost;
      condition += ' AND #attempt <= :attemptAtMost';
    }
    if (transition.expectGeneration !== undefined) {
      names['#generation'] = 'generation';
      values[':expectGeneration'] = transition.expectGeneration;
      // Records written before any retry carry no generation: absent counts as 0.
      condition += transition.expectGeneration === 0
        ? ' AND (attribute_not_exists(#generation) OR #generation = :expectGeneration)'
        : ' AND #generation = :expectGeneration';
    }
    if (transition.expectAttempt !== undefined) {
      names['#attempt'] = 'attempt';
      values[':expectAttempt'] = transition.expectAttempt;
      condition += ' AND #attempt = :expectAttempt';
    }
    return this.#update(transition.jobId, {
      UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: condition,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }, `cannot move to ${transition.to} from a status other than ${transition.from.join('/')}`);
  }

  async recordProgress(jobId: string, attempt: number, progress: number, message?: string): Promise<JobRecord> {
    const names: Record<string, string> = { '#status': 'status', '#attempt': 'attempt', '#progress': 'progress', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':running': 'RUNNING', ':attempt': attempt, ':progress': progress, ':now': this.#now().toISOString() };
    let expression = 'SET #progress = :progress, #updatedAt = :now';
    if (message !== undefined) {
      names['#progressMessage'] = 'progressMessage';
      values[':message'] = message;
      expression += ', #progressMessage = :message';
    }
    return this.#update(jobId, {
      UpdateExpression: expression,
      // Progress only rises, and only the attempt that holds the job may write it.
      ConditionExpression: '#status = :running AND #attempt = :attempt AND #progress <= :progress',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    }, `progress ${progress} refused: job is not RUNNING at attempt ${attempt}, or progress would fall`);
  }

  async discard(jobId: string, options: { sendPending?: SendPending } = {}): Promise<void> {
    const key = keys.job(jobId);
    if (!key) throw new TransitionConflictError(jobId, 'no such job');
    const pending = options.sendPending !== undefined;
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: key,
          ConditionExpression: pending ? '#status = :queued AND #sendPending = :sendPending' : '#status = :queued',
          ExpressionAttributeNames: { '#status': 'status', ...(pending ? { '#sendPending': 'sendPending' } : {}) },
          ExpressionAttributeValues: { ':queued': 'QUEUED', ...(pending ? { ':sendPending': options.sendPending } : {}) },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TransitionConflictError(jobId, 'only a QUEUED job can be discarded');
      throw unavailable('discard', error);
    }
  }

  async requestCancel(jobId: string): Promise<JobRecord> {
    return this.#update(jobId, {
      UpdateExpression: 'SET #cancelRequested = :true, #updatedAt = :now',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status', '#cancelRequested': 'cancelRequested', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':running': 'RUNNING', ':true': true, ':now': this.#now().toISOString() },
    }, 'only a RUNNING job can be flagged for cancellation');
  }

  async clearWebhookPending(jobId: string, finishedAt: string): Promise<boolean> {
    return this.#conditional(jobId, {
      UpdateExpression: 'REMOVE #webhookPending, #sweepAt, #sweepShard',
      ConditionExpression: '#webhookPending = :finishedAt',
      ExpressionAttributeNames: { '#webhookPending': 'webhookPending', '#sweepAt': 'sweepAt', '#sweepShard': 'sweepShard' },
      ExpressionAttributeValues: { ':finishedAt': finishedAt },
    });
  }

  async updateSendPending(jobId: string, seen: SendPending, next: SendPending | undefined, generation?: number): Promise<boolean> {
    // Generation 0 may be the absent attribute (a job never retried by id nor edited).
    const generationCondition = generation === undefined ? '' : generation === 0 ? ' AND (attribute_not_exists(#generation) OR #generation = :generation)' : ' AND #generation = :generation';
    return this.#conditional(jobId, {
      UpdateExpression: next === undefined ? 'REMOVE #sendPending, #sweepAt, #sweepShard' : 'SET #sendPending = :next',
      ConditionExpression: `#status = :queued AND #sendPending = :seen${generationCondition}`,
      ExpressionAttributeNames: {
        '#status': 'status',
        '#sendPending': 'sendPending',
        ...(next === undefined ? { '#sweepAt': 'sweepAt', '#sweepShard': 'sweepShard' } : {}),
        ...(generation !== undefined ? { '#generation': 'generation' } : {}),
      },
      ExpressionAttributeValues: { ':queued': 'QUEUED', ':seen': seen, ...(next !== undefined ? { ':next': next } : {}), ...(generation !== undefined ? { ':generation': generation } : {}) },
    });
  }

  async clearSweep(jobId: string, sweepAt: string): Promise<boolean> {
    return this.#conditional(jobId, {
      UpdateExpression: 'REMOVE #sweepAt, #sweepShard',
      ConditionExpression: '#sweepAt = :sweepAt',
      ExpressionAttributeNames: { '#sweepAt': 'sweepAt', '#sweepShard': 'sweepShard' },
      ExpressionAttributeValues: { ':sweepAt': sweepAt },
    });
  }

  /** A conditional UpdateItem that reports whether it applied (no record returned). */
  async #conditional(
    jobId: string,
    input: Pick<ConstructorParameters<typeof UpdateCommand>[0], 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
  ): Promise<boolean> {
    const key = keys.job(jobId);
    if (!key) return false;
    try {
      await this.#client.send(new UpdateCommand({ TableName: this.#tableName, Key: key, ...input }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw unavailable('update', error);
    }
  }

  async #update(
    jobId: string,
    input: Pick<ConstructorParameters<typeof UpdateCommand>[0], 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'>,
    conflictMessage: string,
  ): Promise<JobRecord> {
    const key = keys.job(jobId);
    if (!key) throw new TransitionConflictError(jobId, `job ${jobId}: no such job`);
    try {
      const output = await this.#client.send(
        new UpdateCommand({ TableName: this.#tableName, Key: key, ReturnValues: 'ALL_NEW', ...input }),
      );
      if (!output.Attributes) throw new TransitionConflictError(jobId, conflictMessage);
      return toRecord(output.Attributes);
    } catch (error) {
      if (error instanceof TransitionConflictError) throw error;
      if (error instanceof ConditionalCheckFailedException) throw new TransitionConflictError(jobId, `job ${jobId}: ${conflictMessage}`);
      throw unavailable('update', error);
    }
  }
}

/** The JobRecord a job item holds: the id from the sort key, and the timestamps the item leaves out. */
export function toRecord(item: Record<string, unknown>): JobRecord {
  const { pk: _pk, sk, sweepShard: _sweepShard, ...attributes } = item as Record<string, unknown> & TableKey;
  const createdAt = (attributes.createdAt as string | undefined) ?? jobIdTime(sk)!;
  const updatedAt = [attributes.updatedAt as string | undefined, attributes.finishedAt as string | undefined, createdAt]
    .filter((t): t is string => t !== undefined)
    .sort()
    .at(-1)!;
  return { ...attributes, jobId: sk, createdAt, updatedAt } as unknown as JobRecord;
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return dynamoFailure(`job store ${operation}`, error);
}
