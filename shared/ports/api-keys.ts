/** Who is calling: the owner of the API key. */
export interface Principal {
  readonly tenant: string;
  readonly keyId: string;
  readonly scopes: readonly ('jobs' | 'admin')[];
}

/** Resolves a presented API key to its principal. Keys are stored hashed, never in plain text. */
export interface ApiKeyResolver {
  resolve(presentedKey: string): Promise<Principal | undefined>;
}

/** An API key as operators see it in the list: who owns it, never the key. */
export interface ApiKeySummary {
  readonly keyId: string;
  readonly tenant: string;
  readonly scopes: Principal['scopes'];
  readonly createdAt: string;
  readonly revoked: boolean;
  readonly revokedAt?: string;
}
