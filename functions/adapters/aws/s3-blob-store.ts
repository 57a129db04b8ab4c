import { DependencyUnavailableError, RetryableJobError } from '../../../shared/domain/errors.js';
import type { S3ObjectClient } from './s3-object-client.js';
import { s3Failure } from './sdk-errors.js';
import type { BlobStore } from '../../../shared/ports/blob-store.js';

export interface S3BlobStoreOptions {
  readonly client: S3ObjectClient;
  readonly bucket: string;
}

/**
 * BlobStore on one S3 bucket. Writes are plain PutObject (a redelivered job overwrites its own key,
 * so a retry never leaves two files); downloads are SigV4 presigned GETs, signed locally without a
 * call to S3.
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3ObjectClient;
  readonly #bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async put(key: string, body: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void> {
    try {
      await this.#client.putObject({ bucket: this.#bucket, key }, body, { contentType: options.contentType, signal: options.signal });
    } catch (error) {
      const failure = s3Failure(`storing s3://${this.#bucket}/${key}`, error, `bucket ${this.#bucket}`);
      // A blip is the job's to retry, under the code its handler has always reported.
      throw failure instanceof DependencyUnavailableError ? new RetryableJobError(failure.message, 'STORAGE_UNAVAILABLE', { cause: error }) : failure;
    }
  }

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    try {
      return await this.#client.getObject({ bucket: this.#bucket, key }, { signal: options.signal });
    } catch (error) {
      // GetObject answers NoSuchKey (404) when the caller may list the bucket, AccessDenied (403)
      // otherwise; the roles hold no s3:ListBucket, so on AWS a missing key is a 403 — the same
      // answer as a key outside the role's grant. Both mean "no object this caller may read".
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions)
      if (nameOf(error) === 'NoSuchKey' || nameOf(error) === 'AccessDenied') return undefined;
      throw new DependencyUnavailableError('s3', `could not read s3://${this.#bucket}/${key} — ${reasonOf(error)}`, { cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.deleteObject({ bucket: this.#bucket, key });
    } catch (error) {
      throw new DependencyUnavailableError('s3', `could not delete s3://${this.#bucket}/${key} — ${reasonOf(error)}`, { cause: error });
    }
  }

  async downloadUrl(key: string, options: { expiresInSeconds: number; fileName?: string }): Promise<string> {
    return this.#client.presignGetObject({ bucket: this.#bucket, key }, {
      expiresInSeconds: options.expiresInSeconds,
      // File names are built by Conveyor from safe parts (kind, job id), never from user text.
      responseContentDisposition: options.fileName ? `attachment; filename="${options.fileName}"` : undefined,
    });
  }
}

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
