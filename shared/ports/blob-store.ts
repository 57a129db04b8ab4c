/** Where workers put the files they produce (PDFs) and how clients get them back. */
export interface BlobStore {
  /** Writes (or overwrites) an object. Throws `RetryableJobError` when the store is unavailable. */
  put(key: string, body: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void>;
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
