import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { RetryableJobError } from '../../../shared/domain/errors.js';
import type { BlobStore } from '../../../shared/ports/blob-store.js';

export interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
}

/**
 * BlobStore on one S3 bucket. Writes are plain PutObject (a redelivered job overwrites its own key,
 * so a retry never leaves two files); downloads are SigV4 presigned GETs, signed locally without a
 * call to S3.
 */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(options: S3BlobStoreOptions) {
    this.#client = options.client;
    this.#bucket = options.bucket;
  }

  async put(key: string, body: Uint8Array, options: { contentType: string; signal?: AbortSignal }): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({ Bucket: this.#bucket, Key: key, Body: body, ContentType: options.contentType, ContentLength: body.byteLength }),
        options.signal ? { abortSignal: options.signal } : {},
      );
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      throw new RetryableJobError(`could not store s3://${this.#bucket}/${key} — ${reason}`, 'STORAGE_UNAVAILABLE', { cause: error });
    }
  }

  async downloadUrl(key: string, options: { expiresInSeconds: number; fileName?: string }): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      // File names are built by Conveyor from safe parts (kind, job id), never from user text.
      ...(options.fileName ? { ResponseContentDisposition: `attachment; filename="${options.fileName}"` } : {}),
    });
    return getSignedUrl(this.#client, command, { expiresIn: options.expiresInSeconds });
  }
}
