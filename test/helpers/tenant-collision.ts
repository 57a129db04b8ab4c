import { tenantHash } from '../../shared/domain/job-id.js';

/**
 * Two distinct tenant names whose 24-bit hashes collide (they share every job partition), found by a
 * birthday search: about 5,000 hashes on average, a few milliseconds. Deterministic for a prefix.
 */
export function collidingTenants(prefix = 'tenant-'): [string, string] {
  const seen = new Map<string, string>();
  for (let i = 0; i < 1_000_000; i++) {
    const tenant = `${prefix}${i}`;
    const hash = tenantHash(tenant);
    const earlier = seen.get(hash);
    if (earlier !== undefined) return [earlier, tenant];
    seen.set(hash, tenant);
  }
  throw new Error('no tenant hash collision found in a million names');
}
