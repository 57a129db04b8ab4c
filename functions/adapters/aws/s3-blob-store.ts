import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
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

  async get(key: string, options: { signal?: AbortSignal } = {}): Promise<Uint8Array | undefined> {
    try {
      const output = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }), options.signal ? { abortSignal: options.signal } : {});
      return output.Body ? await output.Body.transformToByteArray() : new Uint8Array();
    } catch (error) {
      // GetObject answers NoSuchKey (404) when the caller may list the bucket, AccessDenied (403)
      // otherwise; the roles hold no s3:ListBucket, so on AWS a missing key is a 403 — the same
      // answer as a key outside the role's grant. Both mean "no object this caller may read".
      // https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html (Permissions)
      if (error instanceof NoSuchKey || nameOf(error) === 'NoSuchKey' || nameOf(error) === 'AccessDenied') return undefined;
      throw new DependencyUnavailableError('s3', `could not read s3://${this.#bucket}/${key} — ${reasonOf(error)}`, { cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: key }));
    } catch (error) {
      throw new DependencyUnavailableError('s3', `could not delete s3://${this.#bucket}/${key} — ${reasonOf(error)}`, { cause: error });
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

function nameOf(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function reasonOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
