import { JOB_ID_SHARDS, parseJobId, tenantHash } from '../domain/job-id.js';

/**
 * The layout of Conveyor's single DynamoDB table, shared by the adapters, the CDK table construct
 * and the local cloud so that all three agree. No index over every job: each job is written once at
 * enqueue and once when it ends, and an index would copy both writes (it doubled the write bill).
 *
 * | item                | pk                          | sk       |
 * |---------------------|-----------------------------|----------|
 * | job                 | `JOBS#<tenantHash>#<shard>` | jobId    |
 * | API key             | `KEY#<sha256(key)>`         | `KEY`    |
 * | idempotency entry   | `IDEM#<tenant>#<sha256(key)>` | `IDEM` |
 * | notification        | `NOTIF#<tenant>#<userId>`   | `N#<jobId>` |
 * | notification prefs  | `NOTIF#<tenant>#<userId>`   | `PREFS`  |
 * | stage setting       | `CONFIG#<name>`             | `CONFIG` |
 * | active tenant       | `ACTIVE#<yyyy-mm-dd>`       | tenantHash |
 * | sweep progress      | `SWEEP`                     | `WATERMARK#<pass>` |
 * | redrive task        | `REDRIVE#<queue>`           | `TASK`   |
 * | dead webhook        | `WEBHOOKDLQ#<jobId>`        | jobId    |
 * | paused job type     | `QUEUES`                    | `PAUSE#<type>` |
 *
 * Two sparse global secondary indexes hold only the few jobs that carry their key attribute, so a job
 * without follow-ups never writes to either (DynamoDB writes an index only when an item enters, leaves
 * or changes a projected attribute in it:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes):
 * - `deadLetters` (`deadLetterType`, `sk`): DEAD jobs by type, newest first — the DLQ listing. The
 *   DEAD write itself sets the key; the write that leaves DEAD (redrive, retry) removes it. Webhook
 *   deliveries in the webhooks DLQ are listed under `webhooks` by small items of their own.
 * - `sweep` (`sweepShard`, `sweepAt`): jobs owing something no message brings back (an unqueued
 *   webhook, a held job, a requeued job not yet sent), by when the recovery sweep should look.
 *   `sweepShard` spreads these writes over `SWEEP_SHARDS` index partitions; the adapter derives it
 *   from the job id whenever `sweepAt` is written.
 *
 * Jobs: the id is a UUIDv7 carrying a hash of its tenant and a shard number (shared/domain/job-id.ts),
 * so the key follows from the id alone and every path that holds only a job id (GET, the consumer,
 * the scheduler and webhook consumers) reads and writes the record without knowing the tenant. The
 * sort key is the id itself, which sorts by creation time, so a tenant's jobs are listed newest first
 * by querying its `JOB_ID_SHARDS` partitions backwards and merging (dynamo-job-listing.ts); a cursor
 * is the last id returned (`sk < cursor` in every shard). Tenants whose hashes collide share
 * partitions: listing filters on the `tenant` attribute, and GET compares it, so no tenant ever sees
 * another's job. Shards spread a busy tenant's writes over several partitions (a partition key takes
 * ~1,000 write units a second; with time-ordered sort keys DynamoDB's split-for-heat cannot help).
 * Status is never a key (one hot partition for every queued job).
 *
 * The alternative, pk = tenant (+ shard), would need the tenant in every message and at every call
 * site that now passes only a job id. No deployment existed when this layout replaced the earlier
 * one (pk `JOB#<id>` plus a `byTenant` index), so no data migration was needed.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'ttl',
  jobShards: JOB_ID_SHARDS,
  indexes: {
    deadLetters: { name: 'deadLetters', partitionKey: 'deadLetterType', sortKey: 'sk', projection: { include: ['deadLetterUntil'] } },
    sweep: { name: 'sweep', partitionKey: 'sweepShard', sortKey: 'sweepAt', projection: 'KEYS_ONLY' },
  },
} as const;

/**
 * Partitions of the sweep index. A webhook-heavy load puts every finished job in it (and takes it out
 * again): one index partition takes ~1,000 writes a second, so 8 carry ~4,000 such jobs a second. The
 * sweep queries each per run.
 */
export const SWEEP_SHARDS = 8;

/** The primary key of one item (a type, not an interface, so it passes as an SDK key record). */
export type TableKey = { readonly pk: string; readonly sk: string };

export const keys = {
  /** The key of a job's record, or undefined when `jobId` is not a Conveyor job id (no such job). */
  job: (jobId: string): TableKey | undefined => {
    const parts = parseJobId(jobId);
    return parts ? { pk: jobPartition(parts.tenantHash, parts.shard), sk: jobId } : undefined;
  },
  /** Every partition a tenant's jobs may be in, shard 0 first. */
  tenantJobPartitions: (tenant: string): string[] => {
    const hash = tenantHash(tenant);
    return Array.from({ length: JOB_ID_SHARDS }, (_, shard) => jobPartition(hash, shard));
  },
  apiKey: (keyHash: string): TableKey => ({ pk: `KEY#${keyHash}`, sk: 'KEY' }),
  /** The operators' list of API keys, one small item per key in one partition (a handful of keys, listed and revoked by keyId). */
  apiKeyList: 'APIKEYS',
  apiKeyEntry: (keyId: string): TableKey => ({ pk: 'APIKEYS', sk: `KEY#${keyId}` }),
  idempotency: (tenant: string, keyHash: string): TableKey => ({ pk: `IDEM#${tenant}#${keyHash}`, sk: 'IDEM' }),
  /** The job partitions of one tenant hash (the active-tenant items hold hashes, not tenants). */
  jobPartitionsOfHash: (hash: string): string[] => Array.from({ length: JOB_ID_SHARDS }, (_, shard) => jobPartition(hash, shard)),
  /** The sweep index partition of a job: from the id's random bits, so jobs spread evenly. */
  sweepShard: (jobId: string): string => `SWEEP#${Number.parseInt(jobId.slice(24, 28), 16) % SWEEP_SHARDS}`,
  sweepShards: (): string[] => Array.from({ length: SWEEP_SHARDS }, (_, shard) => `SWEEP#${shard}`),
  /** Tenants that enqueued on a UTC day (`yyyy-mm-dd`), one item per tenant hash. */
  activeTenants: (day: string): string => `ACTIVE#${day}`,
  activeTenant: (day: string, hash: string): TableKey => ({ pk: `ACTIVE#${day}`, sk: hash }),
  sweepWatermark: (pass: string): TableKey => ({ pk: 'SWEEP', sk: `WATERMARK#${pass}` }),
  /** The latest redrive task of a queue (a job type): also its one-at-a-time lock. */
  redriveTask: (queue: string): TableKey => ({ pk: `REDRIVE#${queue}`, sk: 'TASK' }),
  /** A dead-lettered webhook delivery's entry in the `deadLetters` index (sort key: the job id, as for jobs). */
  webhookDeadLetter: (jobId: string): TableKey => ({ pk: `WEBHOOKDLQ#${jobId}`, sk: jobId }),
  /** Paused job types: a few items in one partition, so the queue overview reads them with one Query. */
  queuePauses: 'QUEUES',
  queuePause: (type: string): TableKey => ({ pk: 'QUEUES', sk: `PAUSE#${type}` }),
  /**
   * A user's notifications: one partition per tenant and user, sorted by the id of the job that made
   * each (time-ordered), so a user's inbox newest first is one Query (`begins_with(sk, 'N#')`,
   * backwards). The job id as key makes the write idempotent per job. User ids cannot hold `#`.
   */
  notificationPartition: (tenant: string, userId: string): string => `NOTIF#${tenant}#${userId}`,
  notification: (tenant: string, userId: string, jobId: string): TableKey => ({ pk: `NOTIF#${tenant}#${userId}`, sk: `${NOTIFICATION_PREFIX}${jobId}` }),
  /** The user's notification preferences, in the same partition (outside the `N#` range). */
  notificationPreferences: (tenant: string, userId: string): TableKey => ({ pk: `NOTIF#${tenant}#${userId}`, sk: 'PREFS' }),
  /** A stage-wide setting the functions create for themselves (the page-cursor key). */
  config: (name: string): TableKey => ({ pk: `CONFIG#${name}`, sk: 'CONFIG' }),
} as const;

/** Sort-key prefix of notification items: keeps the inbox range apart from the user's PREFS item. */
export const NOTIFICATION_PREFIX = 'N#';

function jobPartition(hash: string, shard: number): string {
  return `JOBS#${hash}#${shard}`;
}
