import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { ApiKeyResolver, ApiKeySummary, Principal } from '../../../shared/ports/api-keys.js';

/**
 * API keys are random 32-byte secrets; the table stores only their SHA-256. A fast unsalted hash is
 * right for high-entropy random tokens (as GitHub does for its tokens): there is nothing to guess.
 */
export function hashApiKey(presentedKey: string): string {
  return createHash('sha256').update(presentedKey, 'utf8').digest('hex');
}

export function generateApiKey(): string {
  return `cvk_${randomBytes(32).toString('base64url')}`;
}

export interface DynamoApiKeysOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How long a resolved key is cached in memory (a warm Lambda skips the read). */
  readonly cacheTtlMs?: number;
  readonly now?: () => number;
}

export class DynamoApiKeys implements ApiKeyResolver {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #cacheTtlMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, { principal: Principal | undefined; expiresAt: number }>();

  constructor(options: DynamoApiKeysOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#cacheTtlMs = options.cacheTtlMs ?? 60_000;
    this.#now = options.now ?? Date.now;
  }

  async resolve(presentedKey: string): Promise<Principal | undefined> {
    const hash = hashApiKey(presentedKey);
    const cached = this.#cache.get(hash);
    if (cached && cached.expiresAt > this.#now()) return cached.principal;
    let item: Record<string, unknown> | undefined;
    try {
      item = (await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: keys.apiKey(hash) }))).Item;
    } catch (error) {
      throw new DependencyUnavailableError('dynamodb', `api key lookup failed — ${(error as Error).message}`, { cause: error });
    }
    const principal = item && item.revoked !== true
      ? { tenant: String(item.tenant), keyId: String(item.keyId), scopes: (item.scopes as Principal['scopes']) ?? ['jobs'] }
      : undefined;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { principal, expiresAt: this.#now() + this.#cacheTtlMs });
    return principal;
  }

  /**
   * Stores a key's hash with its owner, and its entry in the operators' list (keyId, owner, never the
   * key). The entry is written first, on the condition that the keyId is new: a failure between the
   * two leaves a listed key that authenticates nothing, never a working key no one can find.
   */
  async put(presentedKey: string, principal: Principal, createdAt = new Date().toISOString()): Promise<void> {
    const hash = hashApiKey(presentedKey);
    const owner = { tenant: principal.tenant, keyId: principal.keyId, scopes: [...principal.scopes], createdAt };
    try {
      await this.#client.send(new PutCommand({ TableName: this.#tableName, Item: { ...keys.apiKeyEntry(principal.keyId), ...owner, keyHash: hash }, ConditionExpression: 'attribute_not_exists(pk)' }));
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
