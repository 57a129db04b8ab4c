import type { IdempotencyEntry, IdempotencyStore } from '../../shared/ports/idempotency-store.js';

/** An in-memory IdempotencyStore with the DynamoDB adapter's conditions (the contract suite runs both). */
export class MemoryIdempotencyStore implements IdempotencyStore {
  readonly entries = new Map<string, IdempotencyEntry>();
  now: () => Date = () => new Date();

  async claim(entry: IdempotencyEntry): Promise<boolean> {
    if (this.#live(entry.tenant, entry.key)) return false;
    this.entries.set(idOf(entry.tenant, entry.key), structuredClone(entry));
    return true;
  }

  async get(tenant: string, key: string): Promise<IdempotencyEntry | undefined> {
    const entry = this.#live(tenant, key);
    return entry ? structuredClone(entry) : undefined;
  }

  async takeOver(tenant: string, key: string, expectedToken: string, newToken: string, lockedUntil: number): Promise<boolean> {
    const entry = this.entries.get(idOf(tenant, key));
    if (!entry || entry.state !== 'PENDING' || entry.lockToken !== expectedToken || entry.lockedUntil >= this.now().getTime()) return false;
    this.entries.set(idOf(tenant, key), { ...entry, lockToken: newToken, lockedUntil });
    return true;
  }

  async commit(tenant: string, key: string, token: string): Promise<boolean> {
    const entry = this.entries.get(idOf(tenant, key));
    if (!entry || entry.state !== 'PENDING' || entry.lockToken !== token) return false;
    this.entries.set(idOf(tenant, key), { ...entry, state: 'COMMITTED' });
    return true;
  }

  async release(tenant: string, key: string, token: string): Promise<boolean> {
    const entry = this.entries.get(idOf(tenant, key));
    if (!entry || entry.state !== 'PENDING' || entry.lockToken !== token) return false;
    this.entries.delete(idOf(tenant, key));
    return true;
  }

  #live(tenant: string, key: string): IdempotencyEntry | undefined {
    const entry = this.entries.get(idOf(tenant, key));
    return entry && entry.ttl > Math.floor(this.now().getTime() / 1000) ? entry : undefined;
  }
}

function idOf(tenant: string, key: string): string {
  return JSON.stringify([tenant, key]);
}
