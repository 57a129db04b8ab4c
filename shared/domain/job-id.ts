import { createHash, randomBytes } from 'node:crypto';

/**
 * Job ids are UUIDv7 (RFC 9562) that also say where their record lives.
 *
 *   tttttttt-tttt-7sss-vrrr-rrrr r S HHHHHH
 *   └ 48-bit Unix ms ┘  │    │   │ │ └ tenant hash: the first 24 bits of sha256(tenant)
 *                       │    │   │ └ shard (4 bits, < JOB_ID_SHARDS)
 *                       │    │   └ 34 random bits (with the variant's 6)
 *                       │    └ variant 10
 *                       └ version 7, then a 12-bit sequence (monotonic within a process)
 *
 * Why: the job table's key is derived from the id alone (shared/config/table.ts), so every path that
 * knows only a job id — GET, the consumer, the scheduler, the webhook consumer — finds the record
 * without being told the tenant, and a tenant's jobs can be listed newest first from the table itself
 * (no secondary index to write per job). The time prefix makes ids sort by creation time as strings;
 * the sequence keeps the ids one process issues in the same millisecond in issue order.
 *
 * Ids are lower-case; anything that is not an id of this shape is no job of ours.
 */

/**
 * Write shards per tenant. A partition key takes at most ~1,000 write units a second and a fast job
 * writes 2 units into its partition, so one partition carries ~500 jobs/s; 4 shards carry ~2,000 jobs/s
 * for one tenant. Listing reads every shard (one query each per page), so more shards cost reads.
 * Raising it later is safe (old ids keep their shard; listing reads 0…N−1); lowering it is not.
 */
export const JOB_ID_SHARDS = 4;

const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const MAX_SEQUENCE = 0xfff;

export interface JobIdParts {
  /** Unix ms in the id: the job's creation time. */
  readonly timeMs: number;
  /** 6 hex digits: the first 24 bits of sha256(tenant). */
  readonly tenantHash: string;
  readonly shard: number;
}

/** The first 24 bits of sha256(tenant), as 6 hex digits. Distinct tenants may share one (1 in 16.7 M per pair). */
export function tenantHash(tenant: string): string {
  return createHash('sha256').update(tenant, 'utf8').digest('hex').slice(0, 6);
}

/**
 * Issues job ids; one per process is enough (`newJobId`). Its ids never go backwards: within one
 * millisecond, or when the clock steps back, it counts on from its last id. That state is why it is
 * a class.
 */
export class JobIdGenerator {
  readonly #random: (size: number) => Uint8Array;
  #lastMs = -1;
  #sequence = 0;

  constructor(random: (size: number) => Uint8Array = randomBytes) {
    this.#random = random;
  }

  next(tenant: string, now: Date, shard?: number): string {
    const bytes = Uint8Array.from(this.#random(16));
    let ms = now.getTime();
    if (ms <= this.#lastMs) {
      // Same (or an earlier, if the clock stepped back) millisecond: count on from the last id, and
      // when 4,096 ids were issued within one millisecond borrow the next one (RFC 9562 §6.2).
      ms = this.#lastMs;
      this.#sequence++;
      if (this.#sequence > MAX_SEQUENCE) {
        ms++;
        this.#sequence = 0;
      }
    } else {
      // A fresh millisecond starts the sequence at a random value below half its range.
      this.#sequence = ((bytes[6]! << 8) | bytes[7]!) & 0x7ff;
    }
    this.#lastMs = ms;
    const chosenShard = shard ?? bytes[12]! % JOB_ID_SHARDS;
    if (!Number.isInteger(chosenShard) || chosenShard < 0 || chosenShard >= JOB_ID_SHARDS) throw new RangeError(`shard must be 0…${JOB_ID_SHARDS - 1}`);
    for (let i = 5; i >= 0; i--) {
      bytes[i] = ms % 256;
      ms = Math.floor(ms / 256);
    }
    bytes[6] = 0x70 | (this.#sequence >> 8);
    bytes[7] = this.#sequence & 0xff;
    bytes[8] = 0x80 | (bytes[8]! & 0x3f);
    bytes[12] = (bytes[12]! & 0xf0) | chosenShard;
    const hash = Buffer.from(tenantHash(tenant), 'hex');
    bytes.set(hash, 13);
    const hex = Buffer.from(bytes).toString('hex');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
}

const generator = new JobIdGenerator();

/** A new job id for `tenant`, created at `now`, in a random shard. */
export function newJobId(tenant: string, now: Date = new Date()): string {
  return generator.next(tenant, now);
}

/** The time, tenant hash and shard an id carries; undefined for anything that is not a Conveyor job id. */
export function parseJobId(jobId: string): JobIdParts | undefined {
  if (!JOB_ID.test(jobId)) return undefined;
  const shard = Number.parseInt(jobId.charAt(29), 16);
  if (shard >= JOB_ID_SHARDS) return undefined;
  return { timeMs: Number.parseInt(jobId.slice(0, 8) + jobId.slice(9, 13), 16), tenantHash: jobId.slice(30), shard };
}

export function isJobId(value: string): boolean {
  return parseJobId(value) !== undefined;
}

/** The creation time an id carries (ISO), or undefined when it is not a Conveyor job id. */
export function jobIdTime(jobId: string): string | undefined {
  const parts = parseJobId(jobId);
  return parts ? new Date(parts.timeMs).toISOString() : undefined;
}

/**
 * A string that sorts before every id created at or after `time` and after every id created before
 * it: the id's time prefix. Lets a range condition (`sk >= floor`) select jobs by creation time.
 */
export function jobIdFloor(time: Date): string {
  const hex = Math.max(0, time.getTime()).toString(16).padStart(12, '0');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}`;
}

/**
 * The id of a job that `parentJobId`'s job starts as a follow-up (`purpose` names which), the same on
 * every call: a redelivered parent that enqueues its follow-up again finds the record already there
 * (the create is a conditional put) instead of making a second job. It keeps the parent's time,
 * tenant hash and shard, so it lives beside the parent; the other bits come from
 * sha256(purpose:parentJobId). Undefined when the parent is not a Conveyor job id.
 */
export function followUpJobId(parentJobId: string, purpose: string): string | undefined {
  const parts = parseJobId(parentJobId);
  if (!parts) return undefined;
  const bytes = Buffer.from(parentJobId.replaceAll('-', ''), 'hex');
  const digest = createHash('sha256').update(`${purpose}:${parentJobId}`, 'utf8').digest();
  bytes[6] = 0x70 | (digest[0]! & 0x0f);
  bytes[7] = digest[1]!;
  bytes[8] = 0x80 | (digest[2]! & 0x3f);
  bytes[9] = digest[3]!;
  bytes[10] = digest[4]!;
  bytes[11] = digest[5]!;
  bytes[12] = (digest[6]! & 0xf0) | parts.shard;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
