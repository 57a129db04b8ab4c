/**
 * One `Idempotency-Key` of one tenant, pinned to one job. Written PENDING (with a lock) before the
 * job record and message exist, COMMITTED once the message is sent; a PENDING entry whose lock ran
 * out (its writer crashed) may be taken over by a later request, which finishes the same job.
 */
export interface IdempotencyEntry {
  readonly tenant: string;
  readonly key: string;
  readonly jobId: string;
  /** sha256 of the canonical request body: the same key with another body is refused. */
  readonly requestHash: string;
  readonly state: 'PENDING' | 'COMMITTED';
  /** Names the request that holds a PENDING entry: only it may commit or release it. */
  readonly lockToken: string;
  /** Epoch ms after which a PENDING entry's writer is presumed dead. */
  readonly lockedUntil: number;
  readonly createdAt: string;
  /** Epoch seconds after which the key is forgotten and may be used again (DynamoDB TTL). */
  readonly ttl: number;
}

/** Conditional writes on idempotency entries. `false` means the condition lost; store failures throw. */
export interface IdempotencyStore {
  /** Writes the entry unless an unexpired one exists for the tenant and key. */
  claim(entry: IdempotencyEntry): Promise<boolean>;
  /** The unexpired entry, read consistently. */
  get(tenant: string, key: string): Promise<IdempotencyEntry | undefined>;
  /** Takes over a PENDING entry held by `expectedToken` whose lock has run out. */
  takeOver(tenant: string, key: string, expectedToken: string, newToken: string, lockedUntil: number): Promise<boolean>;
  /** PENDING → COMMITTED, only for the holder of `token`. */
  commit(tenant: string, key: string, token: string): Promise<boolean>;
  /** Deletes a PENDING entry, only for the holder of `token` (its job could not be enqueued). */
  release(tenant: string, key: string, token: string): Promise<boolean>;
}
