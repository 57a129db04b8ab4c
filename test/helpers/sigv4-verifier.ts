import { createHash, createHmac } from 'node:crypto';

/**
 * Checks a received request's SigV4 Authorization header the way S3 does, written from the AWS
 * documentation alone (no SDK code), so it can judge clients built on the SDK's signer:
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html
 * S3's canonical URI is the path as received (each segment encoded once by the sender); other
 * services' is that path encoded once more (`doubleEncodePath`).
 */
export interface ReceivedRequest {
  readonly method: string;
  /** The raw request target, path and query, as it arrived. */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array;
}

export function verifySigV4(request: ReceivedRequest, secrets: Readonly<Record<string, string>>, options: { doubleEncodePath?: boolean } = {}): { ok: true } | { ok: false; reason: string } {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(header('authorization') ?? '');
  if (!auth) return { ok: false, reason: `no SigV4 Authorization header: ${header('authorization')}` };
  const [, accessKey, day, region, service, signedHeaders, signature] = auth as unknown as [string, string, string, string, string, string, string];
  const secret = secrets[accessKey];
  if (secret === undefined) return { ok: false, reason: `unknown access key ${accessKey}` };
  const amzDate = header('x-amz-date') ?? '';
  if (!amzDate.startsWith(day)) return { ok: false, reason: 'x-amz-date does not match the credential scope' };

  const payloadHash = header('x-amz-content-sha256') ?? createHash('sha256').update(request.body).digest('hex');
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== createHash('sha256').update(request.body).digest('hex')) return { ok: false, reason: 'x-amz-content-sha256 does not match the body' };

  const [rawPath = '/', rawQuery = ''] = request.url.split('?', 2);
  const path = options.doubleEncodePath ? rawPath.split('/').map((segment) => encodeRfc3986(segment)).join('/') : rawPath;
  const query = rawQuery
    .split('&')
    .filter(Boolean)
    .map((pair) => pair.split('=', 2).map((part) => encodeRfc3986(decodeURIComponent(part ?? ''))))
    .map(([name = '', value = '']) => `${name}=${value}`)
    .sort()
    .join('&');
  const names = signedHeaders.split(';');
  const canonicalHeaders = names.map((name) => `${name}:${(header(name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [request.method, path, query, canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, createHash('sha256').update(canonicalRequest).digest('hex')].join('\n');
  const key = [day, region, service, 'aws4_request'].reduce<Buffer | string>((k, part) => createHmac('sha256', k).update(part).digest(), `AWS4${secret}`);
  const expected = createHmac('sha256', key).update(stringToSign).digest('hex');
  return expected === signature ? { ok: true } : { ok: false, reason: `signature mismatch; canonical request was:\n${canonicalRequest}` };
}

/** URI-encodes every byte but A–Z a–z 0–9 - _ . ~ (the SigV4 UriEncode). */
function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
