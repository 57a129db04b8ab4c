import { createHash } from 'node:crypto';
import { DependencyUnavailableError, PermanentJobError } from '../../shared/domain/errors.js';
import type { JobRecord, StoredDataRef } from '../../shared/domain/job.js';
import { priorityOf } from '../../shared/jobs/priority.js';
import { jobDataKey, type BlobStore, type JobDataKind } from '../../shared/ports/blob-store.js';
import type { Logger } from '../../shared/ports/logger.js';

/**
 * Past these sizes (UTF-8 bytes of the value's JSON) a payload or result is kept in S3 and the job
 * record carries a `StoredDataRef` instead. The numbers come from what each costs
 * (bench/cost/prices.ts; test/unit/job-data/job-data.test.ts recomputes them):
 * - DynamoDB bills every write by the whole item, 1 write unit ($0.625 per million) per started KB, and
 *   a payload rides in every write of its job (the enqueue, the terminal write, RUNNING after a second,
 *   progress): at least 2 writes, 3 for most jobs. Stored apart it costs one S3 PUT at enqueue ($5 per
 *   million) and one GET by the consumer ($0.40 per million) — as much as 8.6 write units, so 4.3 KB
 *   at 2 writes a job, 2.9 KB at 3. 4 KB sits between.
 * - A result is written once, in the terminal write: a PUT ($5 per million, 8 write units) pays off
 *   from 8 KB. Below that it also stays inline in `GET /v1/jobs/{id}`, with no second request.
 * A smaller limit (keeping every item within 1 KB) would cost more, not less: a 2 KB payload inline
 * adds 1–2 write units a write ($1.25–2.50 per million jobs), stored apart $5.40.
 */
export const PAYLOAD_INLINE_BYTES = 4 * 1024;
export const RESULT_INLINE_BYTES = 8 * 1024;

/** A stored payload or result that cannot be read back: the job fails at once, retrying cannot bring it back. */
export class StoredDataMissingError extends PermanentJobError {
  constructor(kind: JobDataKind, message: string) {
    super(message, kind === 'payload' ? 'PAYLOAD_MISSING' : 'RESULT_MISSING');
    this.name = 'StoredDataMissingError';
  }
}

/** A presigned GET of a stored payload or result, signed when the job is read, never stored. */
export interface StoredDataLink {
  readonly url: string;
  readonly expiresAt: string;
  readonly bytes: number;
  readonly sha256: string;
  readonly contentType: 'application/json';
}

export interface JobDataOptions {
  readonly blobs: BlobStore;
  readonly logger: Logger;
  /** Lifetime of each presigned URL (the same setting as document downloads). */
  readonly urlTtlSeconds: number;
  readonly now?: () => Date;
  /** Overrides of the inline limits (tests of the boundary use the real ones). */
  readonly limits?: { readonly payload?: number; readonly result?: number };
}

/** A value as it is stored: its JSON in UTF-8, and the digest that names and checks it. */
interface Encoded {
  readonly body: Uint8Array;
  readonly ref: StoredDataRef;
}

/**
 * Large payloads and results, kept in the job-data bucket under the job's tenant prefix. Keys are
 * derived from the record (tenant, job id, content digest: `jobDataKey`); nothing a client sends
 * names an object. Objects are never updated in place: a new content is a new key.
 */
export class JobData {
  readonly #options: Required<Omit<JobDataOptions, 'limits'>>;
  readonly payloadInlineBytes: number;
  readonly resultInlineBytes: number;

  constructor(options: JobDataOptions) {
    this.#options = { now: () => new Date(), ...options };
    this.payloadInlineBytes = options.limits?.payload ?? PAYLOAD_INLINE_BYTES;
    this.resultInlineBytes = options.limits?.result ?? RESULT_INLINE_BYTES;
  }

  /** Whether a payload of this JSON size is stored apart. */
  storesPayloadApart(jsonBytes: number): boolean {
    return jsonBytes > this.payloadInlineBytes;
  }

  /**
   * The record as it is written: unchanged when its payload fits inline; otherwise the payload is
   * uploaded first and the record carries its reference instead. Upload, then record, then message:
   * whoever writes the record and it fails calls `discardPayload`.
   */
  async storePayload(job: JobRecord, signal?: AbortSignal): Promise<JobRecord> {
    if (job.payloadRef) return job;
    const encoded = encode(job.payload);
    if (!this.storesPayloadApart(encoded.ref.bytes)) return job;
    try {
      await this.#put(job, 'payload', encoded, signal);
    } catch (error) {
      throw new DependencyUnavailableError('s3', `could not store the payload of job ${job.jobId}`, { cause: error });
    }
    // The record keeps what routing needs without its payload: the priority it was enqueued with, else
    // the one its payload names (a record built from a payload alone, as a retry with an edited one).
    const { payload: _stored, priority: given, ...rest } = job;
    const priority = given ?? priorityOf(job.payload);
    return { ...rest, payload: undefined, payloadRef: encoded.ref, ...(priority !== 'normal' ? { priority } : {}) };
  }

  /**
   * Deletes the payload object of a record that was never written (or was discarded). Best effort:
   * if the delete fails too, the bucket's lifecycle rule removes the object (see BlobBucket).
   */
  async discardPayload(job: JobRecord): Promise<void> {
    if (!job.payloadRef) return;
    const key = jobDataKey(job.tenant, job.jobId, 'payload', job.payloadRef.sha256);
    try {
      await this.#options.blobs.delete(key);
    } catch (error) {
      this.#options.logger.warn('could not delete the payload of a job that was not enqueued; the lifecycle rule will', { jobId: job.jobId, key, error });
    }
  }

  /**
   * Writes a stored payload again under its own key, so the bucket's lifecycle rule counts its age
   * from now: a job retried by id lives on past its first retention. Throws StoredDataMissingError
   * when the object is already gone.
   */
  async refreshPayload(job: JobRecord): Promise<void> {
    if (!job.payloadRef) return;
    const body = await this.#read(job, 'payload', job.payloadRef);
    await this.#put(job, 'payload', { body, ref: job.payloadRef });
  }

  /** The job's payload: inline, or read back from S3 and checked against its digest. */
  async loadPayload(job: JobRecord, signal?: AbortSignal): Promise<unknown> {
    return job.payloadRef ? this.#load(job, 'payload', job.payloadRef, signal) : job.payload;
  }

  /** What the terminal write records: the result inline, or its reference once the object is written. */
  async storeResult(job: Pick<JobRecord, 'tenant' | 'jobId'>, result: unknown, signal?: AbortSignal): Promise<{ result: unknown } | { resultRef: StoredDataRef }> {
    const encoded = encode(result ?? null);
    if (encoded.ref.bytes <= this.resultInlineBytes) return { result: result ?? null };
    await this.#put(job, 'result', encoded, signal);
    return { resultRef: encoded.ref };
  }

  /** Presigned URLs of the job's stored payload and result, signed now (locally, no call to S3). */
  async links(job: JobRecord): Promise<{ payloadDownload?: StoredDataLink; resultDownload?: StoredDataLink }> {
    const [payloadDownload, resultDownload] = await Promise.all([
      job.payloadRef ? this.#link(job, 'payload', job.payloadRef) : undefined,
      job.resultRef ? this.#link(job, 'result', job.resultRef) : undefined,
    ]);
    return { ...(payloadDownload ? { payloadDownload } : {}), ...(resultDownload ? { resultDownload } : {}) };
  }

  async #put(job: Pick<JobRecord, 'tenant' | 'jobId'>, kind: JobDataKind, encoded: Encoded, signal?: AbortSignal): Promise<void> {
    const key = jobDataKey(job.tenant, job.jobId, kind, encoded.ref.sha256);
    await this.#options.blobs.put(key, encoded.body, { contentType: 'application/json', ...(signal ? { signal } : {}) });
  }

  async #load(job: JobRecord, kind: JobDataKind, ref: StoredDataRef, signal?: AbortSignal): Promise<unknown> {
    const body = await this.#read(job, kind, ref, signal);
    return JSON.parse(Buffer.from(body).toString('utf8')) as unknown;
  }

  async #read(job: JobRecord, kind: JobDataKind, ref: StoredDataRef, signal?: AbortSignal): Promise<Uint8Array> {
    const key = jobDataKey(job.tenant, job.jobId, kind, ref.sha256);
    const body = await this.#options.blobs.get(key, signal ? { signal } : {});
    if (!body) throw new StoredDataMissingError(kind, `the ${kind} of job ${job.jobId} (${ref.bytes} bytes, stored apart) is gone: its object expired or was deleted`);
    if (body.byteLength !== ref.bytes || sha256(body) !== ref.sha256) {
      throw new StoredDataMissingError(kind, `the stored ${kind} of job ${job.jobId} does not match its record (${body.byteLength} bytes read, ${ref.bytes} recorded)`);
    }
    return body;
  }

  async #link(job: JobRecord, kind: JobDataKind, ref: StoredDataRef): Promise<StoredDataLink> {
    const { blobs, urlTtlSeconds, now } = this.#options;
    const key = jobDataKey(job.tenant, job.jobId, kind, ref.sha256);
    const url = await blobs.downloadUrl(key, { expiresInSeconds: urlTtlSeconds, fileName: `${job.jobId}-${kind}.json` });
    return { url, expiresAt: new Date(now().getTime() + urlTtlSeconds * 1000).toISOString(), bytes: ref.bytes, sha256: ref.sha256, contentType: 'application/json' };
  }
}

/** The reference a value over the inline limit would leave in its record (for sizing the record before it is written). */
export function refOf(value: unknown): StoredDataRef {
  return encode(value).ref;
}

/** UTF-8 bytes of a value's JSON, as it is sized against the inline limits. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value ?? null), 'utf8');
}

function encode(value: unknown): Encoded {
  const body = Buffer.from(JSON.stringify(value ?? null), 'utf8');
  return { body, ref: { bytes: body.byteLength, sha256: sha256(body) } };
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A digest's worth of characters, for sizing a reference before its content is hashed. */
const DIGEST_ROOM = 'f'.repeat(64);

/**
 * The record as the store will hold it, for sizing before anything is written: with `jobData`, a
 * payload over the inline limit is replaced by a reference of the same shape the real one has.
 */
export function asStored<T extends { readonly payload: unknown }>(record: T, jobData: JobData | undefined): T | (Omit<T, 'payload'> & { payloadRef: StoredDataRef }) {
  if (!jobData) return record;
  const bytes = jsonBytes(record.payload);
  if (!jobData.storesPayloadApart(bytes)) return record;
  const { payload: _apart, ...rest } = record;
  return { ...rest, payloadRef: { bytes, sha256: DIGEST_ROOM } };
}
