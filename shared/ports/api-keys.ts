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
