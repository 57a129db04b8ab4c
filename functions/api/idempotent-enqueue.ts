import { createHash, randomUUID } from 'node:crypto';
import { ConveyorError, DependencyUnavailableError, IdempotencyConflictError, JobAlreadyExistsError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { EnqueueRequest } from '../../shared/jobs/registry.js';
import type { IdempotencyEntry, IdempotencyStore } from '../../shared/ports/idempotency-store.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { JobData } from '../job-data/job-data.js';

/** How an `Idempotency-Key` behaves; the defaults suit an API Lambda (API Gateway cuts at 29 s). */
export interface IdempotencySettings {
  /** A key is remembered this long (Stripe keeps keys 24 h). */
  readonly keyTtlSeconds: number;
  /** A PENDING entry's writer is presumed dead after this long and may be taken over. */
  readonly lockMs: number;
  /** How long a concurrent request with the same key waits for the first to finish before 409. */
  readonly waitMs: number;
  readonly pollMs: number;
}

export const DEFAULT_IDEMPOTENCY_SETTINGS: IdempotencySettings = { keyTtlSeconds: 86_400, lockMs: 30_000, waitMs: 5_000, pollMs: 25 };

export interface IdempotentEnqueueDeps {
  readonly store: JobStore;
  /** Sends the job's message as planned (or holds it); throws when nothing was sent. */
  readonly dispatch: (job: JobRecord) => Promise<void>;
  readonly idempotency: IdempotencyStore;
  readonly logger: Logger;
  readonly now: () => Date;
  readonly newJobId: (tenant: string, now: Date) => string;
  /** Builds the QUEUED record of a new job with the given id (the same builder as plain enqueue). */
  readonly newRecord: (tenant: string, request: EnqueueRequest, jobId: string, idempotencyKey: string) => JobRecord;
  /** Stores a payload over the inline limit before the record is written (see JobService). */
  readonly jobData?: JobData;
  readonly settings?: Partial<IdempotencySettings>;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface IdempotentEnqueueResult {
  readonly job: JobRecord;
  /** True when the key had already produced this job: nothing new was enqueued. */
  readonly replayed: boolean;
}

/** `Idempotency-Key` as Stripe and the IETF draft take it: 1–255 visible ASCII characters. */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Enqueues `request` at most once per tenant and `key`. Reusable per item (bulk enqueue calls it
 * once per item). The order keeps "no record without a message, no message without a record":
 *
 * 1. conditional put of a PENDING entry naming a fresh jobId — of concurrent identical requests
 *    exactly one wins; the others wait for it (then replay its job) or, past `waitMs`, get 409;
 * 2. the winner writes the job record, sends the message, and commits the entry;
 * 3. if the send fails, it deletes its entry, then the record, and throws (503): a retry with the
 *    same key starts clean. If that clean-up fails too, the entry stays PENDING until its lock runs
 *    out; the next request with the key then takes it over and finishes the *same* job (record
 *    reused if present, message sent), so a key never yields two jobs.
 *
 * The same key with a different body (type, payload and groupKey, compared canonically) is a 409 mismatch.
 *
 * A writer that dies between the record and the send leaves the entry PENDING, naming the job, and the
 * record saying its send is pending: the recovery sweep sends it (functions/recovery/sweep.ts). A
 * record whose entry no longer names it was answered 503 (the entry is released first): the sweep
 * discards it instead.
 */
export async function enqueueIdempotently(
  deps: IdempotentEnqueueDeps,
  tenant: string,
  key: string,
  request: EnqueueRequest,
): Promise<IdempotentEnqueueResult> {
  const settings = { ...DEFAULT_IDEMPOTENCY_SETTINGS, ...deps.settings };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const requestHash = hashRequest(request);
  const waitUntil = deps.now().getTime() + settings.waitMs;

  for (;;) {
    const now = deps.now();
    const token = randomUUID();
    const entry: IdempotencyEntry = {
      tenant,
      key,
      jobId: deps.newJobId(tenant, now),
      requestHash,
      state: 'PENDING',
      lockToken: token,
      lockedUntil: now.getTime() + settings.lockMs,
      createdAt: now.toISOString(),
      ttl: Math.floor(now.getTime() / 1000) + settings.keyTtlSeconds,
    };
    if (await deps.idempotency.claim(entry)) return publish(deps, tenant, key, request, entry, false);

    const existing = await deps.idempotency.get(tenant, key);
    if (!existing) continue; // expired or released between our put and read: claim again
    if (existing.requestHash !== requestHash) {
      throw new IdempotencyConflictError('IDEMPOTENCY_KEY_MISMATCH', 'this Idempotency-Key was already used with a different request body', existing.jobId);
    }
    if (existing.state === 'COMMITTED') {
      const job = await deps.store.get(existing.jobId, { tenant });
      if (job) return { job, replayed: true };
      // The job's record expired before the key did: nothing to replay, and the key cannot be reused yet.
      throw new IdempotencyConflictError('IDEMPOTENCY_KEY_MISMATCH', 'the job this Idempotency-Key produced no longer exists; use a new key', existing.jobId);
    }
    if (existing.lockedUntil < deps.now().getTime()) {
      // Its writer died between the claim and the commit: finish the same job in its place.
      const takeover = { ...existing, lockToken: randomUUID(), lockedUntil: deps.now().getTime() + settings.lockMs };
      if (await deps.idempotency.takeOver(tenant, key, existing.lockToken, takeover.lockToken, takeover.lockedUntil)) {
        return publish(deps, tenant, key, request, takeover, true);
      }
      continue;
    }
    if (deps.now().getTime() >= waitUntil) {
      throw new IdempotencyConflictError('IDEMPOTENCY_KEY_IN_PROGRESS', 'a request with this Idempotency-Key is still being accepted; retry shortly', existing.jobId);
    }
    await sleep(settings.pollMs);
  }
}

/**
 * Steps 2–3 for the holder of `entry`'s lock. A takeover never releases the entry on failure: the
 * dead writer's record (and maybe message) may exist, so the key stays pinned to that jobId and the
 * next request takes over again once the lock runs out.
 */
async function publish(
  deps: IdempotentEnqueueDeps,
  tenant: string,
  key: string,
  request: EnqueueRequest,
  entry: IdempotencyEntry,
  takeover: boolean,
): Promise<IdempotentEnqueueResult> {
  const built = deps.newRecord(tenant, request, entry.jobId, key);
  let job: JobRecord;
  let created = false;
  try {
    // A payload over the inline limit goes first. Its key is the content's digest, so a takeover
    // uploads the very object the dead writer's record (if any) already names.
    job = deps.jobData ? await deps.jobData.storePayload(built) : built;
    await deps.store.create(job);
    created = true;
  } catch (error) {
    if (!(error instanceof JobAlreadyExistsError)) {
      if (!takeover) await release(deps, tenant, key, entry, false);
      throw error;
    }
    // A takeover: the dead writer got as far as the record. Past QUEUED, its message was sent and ran.
    const existing = await deps.store.get(entry.jobId, { tenant });
    if (!existing) throw new DependencyUnavailableError('dynamodb', `job ${entry.jobId} vanished during an idempotent enqueue`);
    job = existing;
    if (existing.status !== 'QUEUED') {
      await commit(deps, tenant, key, entry);
      return { job, replayed: true };
    }
  }
  try {
    // A takeover may send a second message for a job whose first did go out; the consumer treats
    // it as the duplicate delivery it is (at-least-once), so the job still runs to one outcome.
    // A stored record holding its payload apart keeps its priority for routing (messageOf).
    await deps.dispatch(job);
  } catch (sendError) {
    if (!takeover && (await release(deps, tenant, key, entry, created))) await deps.jobData?.discardPayload(job);
    throw sendError instanceof ConveyorError
      ? sendError
      : new DependencyUnavailableError('sqs', `queue send failed — ${String(sendError)}`, { cause: sendError });
  }
  await commit(deps, tenant, key, entry);
  return { job, replayed: false };
}

async function commit(deps: IdempotentEnqueueDeps, tenant: string, key: string, entry: IdempotencyEntry): Promise<void> {
  // A failed commit leaves the entry PENDING: the job is enqueued regardless, and a later request
  // with the key takes over after the lock, finds the record past QUEUED or re-sends — never a 2nd job.
  await deps.idempotency.commit(tenant, key, entry.lockToken).catch((error: unknown) => {
    deps.logger.warn('idempotency: commit failed; the entry stays PENDING until its lock runs out', { jobId: entry.jobId, error });
  });
}

/**
 * Undoes a failed enqueue: entry first (so a retry starts clean), then the record it named. True when
 * the record is known to be gone (discarded here), so its stored payload may go too.
 */
async function release(deps: IdempotentEnqueueDeps, tenant: string, key: string, entry: IdempotencyEntry, discardRecord: boolean): Promise<boolean> {
  let released = false;
  try {
    released = await deps.idempotency.release(tenant, key, entry.lockToken);
  } catch (error) {
    deps.logger.error('idempotency: could not release the entry; a retry takes it over after the lock', { jobId: entry.jobId, error });
  }
  // Only the lock holder may delete the record: if another request took over, the job is theirs now.
  if (!released || !discardRecord) return false;
  return deps.store.discard(entry.jobId).then(
    () => true,
    (error: unknown) => {
      deps.logger.error('idempotency: send failed and the record could not be discarded', { jobId: entry.jobId, error });
      return false;
    },
  );
}

/**
 * sha256 of the request's canonical JSON (keys sorted), so key order and whitespace do not matter. A
 * `groupKey` counts (another group is another request); it is left out when absent, so the hashes of
 * requests without one are those stored before groups existed.
 */
export function hashRequest(request: EnqueueRequest): string {
  const identity = { type: request.type, payload: request.payload, ...(request.groupKey !== undefined ? { groupKey: request.groupKey } : {}) };
  return createHash('sha256').update(canonicalJson(identity)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
