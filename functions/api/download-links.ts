import * as z from 'zod';
import type { JobRecord } from '../../shared/domain/job.js';
import { tenantPrefix, type BlobStore } from '../../shared/ports/blob-store.js';

/** A download of a job's output file, signed at read time and never stored. */
export interface DownloadLink {
  readonly url: string;
  readonly expiresAt: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly bytes: number;
}

/** A result that references a file (the PDF job's `result.file`). */
const fileResult = z.object({
  file: z.object({ key: z.string().min(1), contentType: z.string(), bytes: z.number(), fileName: z.string().regex(/^[A-Za-z0-9._-]{1,200}$/) }),
});

export interface DownloadLinksOptions {
  readonly blobs: BlobStore;
  /** Lifetime of each URL: short, because anyone holding it can download until it expires. */
  readonly ttlSeconds: number;
  readonly now?: () => Date;
}

/**
 * Turns a SUCCEEDED job's file reference into a presigned GET URL when the job is read. Signing is
 * local (no call to S3) and costs nothing, so a fresh URL per read beats storing one that expires.
 * Only keys under the job's own tenant prefix are signed: a result can never point a tenant at
 * another tenant's file.
 */
export class DownloadLinks {
  readonly #options: Required<DownloadLinksOptions>;

  constructor(options: DownloadLinksOptions) {
    this.#options = { now: () => new Date(), ...options };
  }

  async forJob(job: JobRecord): Promise<DownloadLink | undefined> {
    if (job.status !== 'SUCCEEDED') return undefined;
    const parsed = fileResult.safeParse(job.result);
    if (!parsed.success) return undefined;
    const { file } = parsed.data;
    if (!file.key.startsWith(tenantPrefix(job.tenant))) return undefined;
    const { ttlSeconds, blobs, now } = this.#options;
    const url = await blobs.downloadUrl(file.key, { expiresInSeconds: ttlSeconds, fileName: file.fileName });
    return { url, expiresAt: new Date(now().getTime() + ttlSeconds * 1000).toISOString(), fileName: file.fileName, contentType: file.contentType, bytes: file.bytes };
  }
}
