import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import type { ApiKeySummary, Principal } from '../../../shared/ports/api-keys.js';
import { hashApiKey } from './dynamo-api-keys.js';

/**
 * The operators' side of API keys (`npm run keys`): issue, list, revoke. Apart from DynamoApiKeys so
 * that the authorizer and the API, which only resolve keys, bundle and are granted only the read.
 */
export class DynamoApiKeyAdmin {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBDocumentClient; readonly tableName: string }) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  /**
   * Stores a key's hash with its owner, and its entry in the operators' list (keyId, owner, never the
   * key). The entry is written first, on the condition that the keyId is new: a failure between the
   * two leaves a listed key that authenticates nothing, never a working key no one can find.
   * Storing the same key under the same keyId again is harmless (the local cloud does at each start).
   */
  async put(presentedKey: string, principal: Principal, createdAt = new Date().toISOString()): Promise<void> {
    const hash = hashApiKey(presentedKey);
    const owner = { tenant: principal.tenant, keyId: principal.keyId, scopes: [...principal.scopes], createdAt };
    try {
      await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: { ...keys.apiKeyEntry(principal.keyId), ...owner, keyHash: hash }, ConditionExpression: 'attribute_not_exists(pk) OR keyHash = :hash', ExpressionAttributeValues: { ':hash': hash } }));
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') throw new ConfigurationError(`an API key with keyId "${principal.keyId}" already exists; choose another --key-id`);
      throw error;
    }
    await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: { ...keys.apiKey(hash), ...owner } }));
  }

  /** Every key of the list (of one tenant when given), oldest keyId order; never the key itself. */
  async list(tenant?: string): Promise<ApiKeySummary[]> {
    const found: ApiKeySummary[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({ TableName: this.#tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': keys.apiKeyList }, ...(start ? { ExclusiveStartKey: start } : {}) }),
      );
      for (const item of page.Items ?? []) {
        if (tenant !== undefined && item.tenant !== tenant) continue;
        found.push({
          keyId: String(item.keyId),
          tenant: String(item.tenant),
          scopes: (item.scopes as Principal['scopes']) ?? ['jobs'],
          createdAt: String(item.createdAt),
          revoked: item.revoked === true,
          ...(item.revokedAt ? { revokedAt: String(item.revokedAt) } : {}),
        });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return found;
  }

  /**
   * Marks a key revoked: the authorizer refuses it once its caches let go (DynamoApiKeys keeps an
   * answer `cacheTtlMs`, API Gateway its own authorizer TTL). Revoking twice is harmless.
   */
  async revoke(keyId: string, now = new Date().toISOString()): Promise<ApiKeySummary> {
    const entry = (await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: keys.apiKeyEntry(keyId), ConsistentRead: true }))).Item;
    if (!entry) throw new ConfigurationError(`no API key with keyId "${keyId}" (npm run keys -- list shows them)`);
    const revoke = { UpdateExpression: 'SET revoked = :true, revokedAt = if_not_exists(revokedAt, :now)', ExpressionAttributeValues: { ':true': true, ':now': now } };
    await this.#client.send(new UpdateCommand({ TableName: this.#tableName, Key: keys.apiKey(String(entry.keyHash)), ...revoke }));
    await this.#client.send(new UpdateCommand({ TableName: this.#tableName, Key: keys.apiKeyEntry(keyId), ...revoke }));
    return { keyId, tenant: String(entry.tenant), scopes: (entry.scopes as Principal['scopes']) ?? ['jobs'], createdAt: String(entry.createdAt), revoked: true, revokedAt: String(entry.revokedAt ?? now) };
  }
}
