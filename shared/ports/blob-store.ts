/** Where workers put the files they produce (PDFs), where large payloads and results live, and how clients get them back. */
export interface BlobStore {
  /** Writes (or overwrites) an object. Throws `RetryableJobError` when the store is unavailable. */
  put(key: string, body: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void>;
  /** The object's bytes, or undefined when there is no such object. Throws `DependencyUnavailableError` when the store is unavailable. */
  get(key: string, options?: { signal?: AbortSignal }): Promise<Uint8Array | undefined>;
  /** Deletes an object (nothing happens when it does not exist). Throws `DependencyUnavailableError` when the store is unavailable. */
  delete(key: string): Promise<void>;
  /** A short-lived URL that downloads the object without credentials. */
  downloadUrl(key: string, options: { expiresInSeconds: number; fileName?: string }): Promise<string>;
}

/** A file a job produced, as its result references it (the bytes live in the blob store). */
export interface FileReference {
  readonly key: string;
  readonly contentType: string;
  readonly bytes: number;
  readonly fileName: string;
}

/** Every tenant's files live under their own prefix; a download is only signed inside it. */
export function tenantPrefix(tenant: string): string {
  return `tenants/${encodeURIComponent(tenant)}/`;
}

/** What a job keeps in S3 when it is too large for its record. */
export type JobDataKind = 'payload' | 'result';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The key of a job's stored payload or result: `tenants/<tenant>/jobs/<jobId>/<kind>-<sha256>.json`.
 * Built only from the record's own tenant and id and the content's digest, never from anything a
 * client sent, so no request can name another tenant's object. The digest makes the key change with
 * the content: a replaced payload or a re-run's result never overwrites the object a record in
 * flight still names. Throws on a malformed id or digest rather than build a key outside the layout.
 */
export function jobDataKey(tenant: string, jobId: string, kind: JobDataKind, sha256: string): string {
  if (!JOB_ID.test(jobId)) throw new RangeError(`jobDataKey: "${jobId}" is not a job id`);
  if (!SHA256_HEX.test(sha256)) throw new RangeError('jobDataKey: the digest must be 64 lower-case hex digits');
  return `${tenantPrefix(tenant)}jobs/${jobId}/${kind}-${sha256}.json`;
}
