/**
 * What a key may do. `jobs`: enqueue, read and cancel its tenant's jobs. `admin`: also operate its
 * own tenant (queue overview, retry its failed jobs). `operator`: the platform's operators, across
 * every tenant (dead-letter queues, redrive, retry any job); issued only by `npm run keys`.
 */
export type Scope = 'jobs' | 'admin' | 'operator';

/** Who is calling: the owner of the API key. */
export interface Principal {
  readonly tenant: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
}

/** True when `principal` may act on `tenant`'s jobs: its own, or any tenant's with the operator scope. */
export function mayActFor(principal: Principal, tenant: string): boolean {
  return principal.tenant === tenant || principal.scopes.includes('operator');
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
