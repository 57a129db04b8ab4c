import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, type TableKey } from '../../../shared/config/table.js';
import type { ConveyorError } from '../../../shared/domain/errors.js';
import { dynamoFailure } from './sdk-errors.js';
import type { IdempotencyEntry, IdempotencyStore } from '../../../shared/ports/idempotency-store.js';

export interface DynamoIdempotencyStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

/**
 * Idempotency entries in the job table, keyed `IDEM#<tenant>#<sha256(key)>` (sort key `IDEM`): hashing the key keeps the
 * item key short and unambiguous whatever characters the client's key holds. Every write is
 * conditional; a lost condition answers `false`, any other failure is classified by sdk-errors.ts.
 */
export class DynamoIdempotencyStore implements IdempotencyStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: DynamoIdempotencyStoreOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async claim(entry: IdempotencyEntry): Promise<boolean> {
    return this.#conditional('claim', () =>
      this.#client.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: { ...keyOf(entry.tenant, entry.key), ...entry },
          // DynamoDB deletes expired items lazily: an expired entry counts as absent.
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :nowSeconds',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':nowSeconds': this.#nowSeconds() },
        }),
      ),
    );
  }

  async get(tenant: string, key: string): Promise<IdempotencyEntry | undefined> {
    try {
      const output = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: keyOf(tenant, key), ConsistentRead: true }));
      if (!output.Item) return undefined;
      const { pk: _pk, sk: _sk, ...entry } = output.Item;
      const record = entry as IdempotencyEntry;
      return record.ttl <= this.#nowSeconds() ? undefined : record;
    } catch (error) {
      throw unavailable('get', error);
    }
  }

  async takeOver(tenant: string, key: string, expectedToken: string, newToken: string, lockedUntil: number): Promise<boolean> {
    return this.#conditional('takeOver', () =>
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keyOf(tenant, key),
          UpdateExpression: 'SET #lockToken = :newToken, #lockedUntil = :lockedUntil',
          ConditionExpression: '#state = :pending AND #lockToken = :expectedToken AND #lockedUntil < :nowMs',
          ExpressionAttributeNames: { '#state': 'state', '#lockToken': 'lockToken', '#lockedUntil': 'lockedUntil' },
          ExpressionAttributeValues: { ':pending': 'PENDING', ':expectedToken': expectedToken, ':newToken': newToken, ':lockedUntil': lockedUntil, ':nowMs': this.#now().getTime() },
        }),
      ),
    );
  }

  async commit(tenant: string, key: string, token: string): Promise<boolean> {
    return this.#conditional('commit', () =>
      this.#client.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: keyOf(tenant, key),
          UpdateExpression: 'SET #state = :committed',
          ConditionExpression: '#state = :pending AND #lockToken = :token',
          ExpressionAttributeNames: { '#state': 'state', '#lockToken': 'lockToken' },
          ExpressionAttributeValues: { ':pending': 'PENDING', ':committed': 'COMMITTED', ':token': token },
        }),
      ),
    );
  }

  async release(tenant: string, key: string, token: string): Promise<boolean> {
    return this.#conditional('release', () =>
      this.#client.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: keyOf(tenant, key),
          ConditionExpression: '#state = :pending AND #lockToken = :token',
          ExpressionAttributeNames: { '#state': 'state', '#lockToken': 'lockToken' },
          ExpressionAttributeValues: { ':pending': 'PENDING', ':token': token },
        }),
      ),
    );
  }

  #nowSeconds(): number {
    return Math.floor(this.#now().getTime() / 1000);
  }

  async #conditional(operation: string, write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw unavailable(operation, error);
    }
  }
}

function keyOf(tenant: string, key: string): TableKey {
  return keys.idempotency(tenant, createHash('sha256').update(key, 'utf8').digest('hex'));
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return dynamoFailure(`idempotency store ${operation}`, error);
}
