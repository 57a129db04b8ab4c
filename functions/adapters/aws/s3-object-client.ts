import { HttpRequest, buildQueryString, escapeUri } from '@smithy/core/protocols';
import { noTracer, type Tracer } from '../../../shared/ports/tracer.js';
import { SignedHttp, type CredentialSource, type RetrySettings, type SignedResponse } from './signed-http.js';

export interface S3ObjectClientOptions {
  readonly region: string;
  /** A local S3 (`http://127.0.0.1:port`): buckets are then addressed by path, as it has no bucket subdomains. */
  readonly endpoint?: string | undefined;
  readonly credentials?: CredentialSource | undefined;
  /** Each call as an X-Ray subsegment when the stage traces (functions/adapters/aws/tracing.ts `currentTracer`). */
  readonly tracer?: Tracer | undefined;
  readonly retry?: Partial<RetrySettings> | undefined;
  readonly now?: (() => Date) | undefined;
  /** Milliseconds a request's socket may stay idle before the attempt fails and is retried (signed-http.ts). */
  readonly socketTimeoutMs?: number | undefined;
}

export interface ObjectLocation {
  readonly bucket: string;
  readonly key: string;
}

/**
 * The four S3 object operations Conveyor uses — PutObject, GetObject, DeleteObject and a presigned GET —
 * over S3's REST API, signed with the SDK's SigV4 signer (signed-http.ts). Errors are AwsServiceErrors
 * named by S3's error code (NoSuchKey, AccessDenied, SlowDown…), as the SDK names its exceptions.
 * One key's PUT, GET and DELETE are idempotent, so every failure the SDK would retry is retried.
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObject.html
 */
export class S3ObjectClient {
  readonly #http: SignedHttp;
  readonly #region: string;
  readonly #endpoint: URL | undefined;
  readonly #tracer: Tracer;

  constructor(options: S3ObjectClientOptions) {
    this.#region = options.region;
    this.#endpoint = options.endpoint ? new URL(options.endpoint) : undefined;
    this.#tracer = options.tracer ?? noTracer;
    this.#http = new SignedHttp({ service: 's3', s3Signing: true, region: options.region, credentials: options.credentials, retry: options.retry, now: options.now, socketTimeoutMs: options.socketTimeoutMs });
  }

  /**
   * Stores `body` under the key. The body's SHA-256 is signed (x-amz-content-sha256), so S3 refuses a
   * body altered on the way (XAmzContentSHA256Mismatch) — the integrity check the SDK gets from its
   * CRC32 checksum header — and the same request works over plain HTTP locally; hashing a few MB costs
   * milliseconds. https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (signed payload)
   */
  async putObject(location: ObjectLocation, body: Uint8Array, options: { contentType: string; signal?: AbortSignal | undefined }): Promise<void> {
    const request = this.#request('PUT', location, { 'content-type': options.contentType, 'content-length': String(body.byteLength) }, body);
    await this.#tracer.span('S3.PutObject', {}, () => this.#http.send(request, s3Error, options.signal));
  }

  /** The object's bytes; throws an AwsServiceError (NoSuchKey, AccessDenied…) when S3 answers with an error. */
  async getObject(location: ObjectLocation, options: { signal?: AbortSignal | undefined } = {}): Promise<Uint8Array> {
    const response = await this.#tracer.span('S3.GetObject', {}, () => this.#http.send(this.#request('GET', location), s3Error, options.signal));
    return response.body;
  }

  /** Deletes the object (S3 answers 204 whether or not it existed). */
  async deleteObject(location: ObjectLocation, options: { signal?: AbortSignal | undefined } = {}): Promise<void> {
    await this.#tracer.span('S3.DeleteObject', {}, () => this.#http.send(this.#request('DELETE', location), s3Error, options.signal));
  }

  /**
   * A presigned GET URL, made as the SDK's s3-request-presigner makes it (the same URL for the same
   * inputs and clock: test/unit/adapters/s3-object-client.test.ts): the payload is UNSIGNED-PAYLOAD
   * and a session token travels as X-Amz-Security-Token in the query.
   * https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-query-string-auth.html
   */
  async presignGetObject(location: ObjectLocation, options: { expiresInSeconds: number; responseContentDisposition?: string | undefined }): Promise<string> {
    // `x-id` is the operation tag the SDK puts on every S3 call's query (S3 ignores it); kept so the URL is the SDK's, byte for byte.
    const query = { ...(options.responseContentDisposition ? { 'response-content-disposition': options.responseContentDisposition } : {}), 'x-id': 'GetObject' };
    const request = this.#request('GET', location, { 'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD' }, undefined, query);
    const signed = await this.#http.signer.presign(request, { expiresIn: options.expiresInSeconds, signingDate: this.#http.now(), unsignableHeaders: new Set(['content-type']) });
    const port = signed.port ? `:${signed.port}` : '';
    return `${signed.protocol}//${signed.hostname}${port}${signed.path}?${buildQueryString(signed.query ?? {})}`;
  }

  destroy(): void {
    this.#http.destroy();
  }

  #request(method: string, { bucket, key }: ObjectLocation, headers: Record<string, string> = {}, body?: Uint8Array, query?: Record<string, string>): HttpRequest {
    // Each segment of the key URI-encoded once (RFC 3986 unreserved characters kept, '/' kept between
    // segments): S3's canonical URI is this path as sent, not encoded again.
    // https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html (CanonicalURI)
    const objectPath = key.split('/').map(escapeUri).join('/');
    const { protocol, hostname, port, path } = this.#address(bucket);
    return new HttpRequest({
      method,
      protocol,
      hostname,
      ...(port ? { port } : {}),
      path: `${path}${objectPath}`,
      ...(query ? { query } : {}),
      headers: { host: port ? `${hostname}:${port}` : hostname, ...headers },
      ...(body ? { body } : {}),
    });
  }

  /** Where a bucket's objects live: path-style on a local endpoint, virtual-hosted on AWS. */
  #address(bucket: string): { protocol: string; hostname: string; port?: number; path: string } {
    if (this.#endpoint) {
      const base = this.#endpoint.pathname.replace(/\/+$/, '');
      return { protocol: this.#endpoint.protocol, hostname: this.#endpoint.hostname, ...(this.#endpoint.port ? { port: Number(this.#endpoint.port) } : {}), path: `${base}/${escapeUri(bucket)}/` };
    }
    const domain = this.#region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
    // Virtual-hosted style, as the SDK addresses a DNS-compatible bucket; a name with dots would not
    // match S3's wildcard certificate, so such a bucket is addressed by path.
    // https://docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html
    if (/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) return { protocol: 'https:', hostname: `${bucket}.s3.${this.#region}.${domain}`, path: '/' };
    return { protocol: 'https:', hostname: `s3.${this.#region}.${domain}`, path: `/${escapeUri(bucket)}/` };
  }
}

/** S3's XML error body: `<Error><Code>NoSuchKey</Code><Message>…</Message>…</Error>`. */
function s3Error(response: SignedResponse): { code?: string | undefined; message?: string | undefined } {
  const text = new TextDecoder().decode(response.body);
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
  // A body-less answer (S3 sends none with some 5xx and every HEAD): name it by status, as the SDK does.
  return { code: code ?? STATUS_CODES[response.status], message: message === undefined ? undefined : unescapeXml(message) };
}

const STATUS_CODES: Readonly<Record<number, string>> = { 301: 'PermanentRedirect', 400: 'BadRequest', 403: 'Forbidden', 404: 'NotFound', 500: 'InternalError', 503: 'ServiceUnavailable' };

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, entity: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[entity] ?? '');
}
