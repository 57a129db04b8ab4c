import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { ConfigurationError } from '../../shared/domain/errors.js';
import type { Principal, Scope } from '../../shared/ports/api-keys.js';
import { createDynamoClient, type AwsClientSettings } from '../adapters/aws/clients.js';
import { DynamoApiKeyAdmin } from '../adapters/aws/dynamo-api-key-admin.js';
import { generateApiKey } from '../adapters/aws/dynamo-api-keys.js';
import { stageResourceNames } from '../../shared/jobs/derived.js';

/**
 * Issuing API keys, for operators: `npm run keys -- create …` and the `conveyor` CLI call this.
 * The key is returned once and only its SHA-256 is stored, so a lost key is replaced, not recovered.
 */
/**
 * How long a revoked key may still be let through: the authorizer function keeps a key's answer in
 * memory for 60 s (DynamoApiKeys' cacheTtlMs) and API Gateway caches the authorizer's answer for
 * another 60 s (`authorizerCacheSeconds`, infra/config/stages.ts) — one after the other, 120 s.
 */
export const REVOCATION_WINDOW_SECONDS = 60 + 60;

export const SCOPES = ['jobs', 'admin', 'operator'] as const satisfies readonly Scope[];

/** Scopes within one tenant; `operator` (every tenant) is issued only by `npm run keys` (`allowOperator`). */
export const TENANT_SCOPES = ['jobs', 'admin'] as const satisfies readonly Scope[];

export const createApiKeyRequestSchema = z
  .object({
    tenant: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'tenant must be 1–64 letters, digits, _ . or -'),
    scopes: z.array(z.enum(SCOPES)).min(1, 'at least one scope (jobs, admin, operator)'),
    /** A label for logs and access logs; generated when absent. */
    keyId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'keyId must be 1–64 letters, digits, _ . or -').optional(),
  })
  .strict();

export type CreateApiKeyRequest = z.input<typeof createApiKeyRequestSchema>;

export interface IssuedApiKey {
  /** The secret to hand to the client. Shown once: only its hash is stored. */
  readonly apiKey: string;
  readonly principal: Principal;
  readonly createdAt: string;
}

/** Where keys are stored: the adapter's write side. */
export interface ApiKeyWriter {
  put(presentedKey: string, principal: Principal, createdAt?: string): Promise<void>;
}

export async function createApiKey(store: ApiKeyWriter, request: CreateApiKeyRequest, options: { now?: Date; allowOperator?: boolean } = {}): Promise<IssuedApiKey> {
  const now = options.now ?? new Date();
  const parsed = createApiKeyRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new ConfigurationError(`invalid API key request — ${parsed.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ')}`);
  }
  const { tenant, scopes, keyId } = parsed.data;
  if (scopes.includes('operator') && options.allowOperator !== true) {
    throw new ConfigurationError('invalid API key request — scopes: "operator" spans every tenant and is issued only by `npm run keys`');
  }
  const principal: Principal = { tenant, scopes: [...new Set(scopes)], keyId: keyId ?? `key_${randomBytes(6).toString('hex')}` };
  const apiKey = generateApiKey();
  const createdAt = now.toISOString();
  await store.put(apiKey, principal, createdAt);
  return { apiKey, principal, createdAt };
}

/**
 * The key store of a deployed stage (`conveyor-<stage>-jobs`) or of a named table, through the
 * SDK's usual credentials and region; `AWS_ENDPOINT_URL_DYNAMODB` points it at a local server.
 */
export function openApiKeyStore(target: { readonly stage?: string; readonly tableName?: string }, settings: AwsClientSettings): DynamoApiKeyAdmin {
  const tableName = target.tableName ?? (target.stage ? stageResourceNames(target.stage).table : undefined);
  if (!tableName) throw new ConfigurationError('name the stage (--stage dev) or the table (--table conveyor-dev-jobs)');
  return new DynamoApiKeyAdmin({ client: createDynamoClient(settings), tableName });
}
