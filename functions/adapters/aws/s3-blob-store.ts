import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DependencyUnavailableError, RetryableJobError } from '../../../shared/domain/errors.js';
import { s3Failure } from './sdk-errors.js';
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
      const failure = s3Failure(`storing s3://${this.#bucket}/${key}`, error, `bucket ${this.#bucket}`);
      // A blip is the job's to retry, under the code its handler has always reported.
      throw failure instanceof DependencyUnavailableError ? new RetryableJobError(failure.message, 'STORAGE_UNAVAILABLE', { cause: error }) : failure;
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
