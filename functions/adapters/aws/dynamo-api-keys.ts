import { createHash, randomBytes } from 'node:crypto';
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import { dynamoFailure } from './sdk-errors.js';
import type { ApiKeyResolver, Principal } from '../../../shared/ports/api-keys.js';

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

/** The read side, all the authorizer and the API need: resolve a presented key (cached). Writes are DynamoApiKeyAdmin's. */
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
      throw dynamoFailure('api key lookup', error, this.#tableName);
    }
    const principal = item && item.revoked !== true
      ? { tenant: String(item.tenant), keyId: String(item.keyId), scopes: (item.scopes as Principal['scopes']) ?? ['jobs'] }
      : undefined;
    if (this.#cache.size > 10_000) this.#cache.clear();
    this.#cache.set(hash, { principal, expiresAt: this.#now() + this.#cacheTtlMs });
    return principal;
  }
}
