/**
 * API Gateway HTTP API (Lambda proxy, payload format 2.0) ⇄ the Fetch Request/Response the app
 * speaks. Kept here rather than Hono's `hono/aws-lambda` adapter because that one alters what the
 * client sent before the app sees it: it drops headers whose value is empty and percent-encodes
 * non-ASCII header values, so an empty `Idempotency-Key` read as absent and "café" became the valid
 * key "caf%C3%A9". This adapter passes headers and body bytes through as API Gateway delivered them.
 *
 * What API Gateway delivers (Working with AWS Lambda proxy integrations for HTTP APIs): header names
 * lower-cased, repeated headers joined with commas, cookies in `cookies`; `body` is the request body
 * as text, or — "if the content type of the request is binary" — base64-encoded with
 * `isBase64Encoded: true`. The body bytes are therefore `body` decoded as base64 when
 * `isBase64Encoded`, else `body` encoded as UTF-8.
 */

/** The part of the payload-2.0 event the API reads (the adapter owns its event type). */
export interface HttpApiEvent {
  readonly rawPath: string;
  readonly rawQueryString?: string;
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly cookies?: readonly string[];
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly requestContext: { readonly domainName?: string; readonly requestId?: string; readonly http: { readonly method: string } };
}

/** The structured response of payload format 2.0. */
export interface HttpApiResult {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly cookies?: string[];
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** What the app gets as its environment (Hono's `c.env`): the event, its request context, the Lambda context. */
export interface HttpApiBindings {
  readonly event: HttpApiEvent;
  readonly requestContext: HttpApiEvent['requestContext'];
  readonly lambdaContext?: unknown;
}

/** Anything that answers a Fetch Request: a Hono app's `fetch`. */
export type FetchHandler = (request: Request, env: HttpApiBindings) => Response | Promise<Response>;

/**
 * A Lambda handler for an HTTP API route, serving `fetch`. The event, its request context (API
 * Gateway's request id: the correlation id) and the Lambda context reach the app as `env`, as Hono's
 * own adapter passes them (functions/api/middleware.ts `ApiBindings`).
 */
export function httpApiHandler(fetch: FetchHandler): (event: HttpApiEvent, context?: unknown) => Promise<HttpApiResult> {
  return async (event, context) => toResult(await fetch(toRequest(event), { event, requestContext: event.requestContext, lambdaContext: context }));
}

export function toRequest(event: HttpApiEvent): Request {
  const host = event.requestContext.domainName ?? event.headers?.host ?? 'localhost';
  const url = `https://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    // An empty value is kept: "present but empty" is not "absent".
    if (value !== undefined) appendVerbatim(headers, name, value);
  }
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const method = event.requestContext.http.method.toUpperCase();
  const body = event.body === undefined || event.body === null || method === 'GET' || method === 'HEAD' ? undefined : bodyBytes(event.body, event.isBase64Encoded === true);
  if (body) headers.set('content-length', String(body.byteLength));
  return new Request(url, { method, headers, ...(body ? { body } : {}) });
}

function bodyBytes(body: string, base64: boolean): Uint8Array<ArrayBuffer> {
  return base64 ? new Uint8Array(Buffer.from(body, 'base64')) : new TextEncoder().encode(body);
}

/**
 * Fetch headers hold byte strings (each character one byte, ≤ U+00FF). A value with wider characters
 * (API Gateway decoded UTF-8) is given as its UTF-8 bytes, one character per byte — what an HTTP
 * server reading the raw header would see — so the app still finds it is not ASCII. A value Fetch
 * refuses outright (a control character) is left out.
 */
function appendVerbatim(headers: Headers, name: string, value: string): void {
  const bytes = /[\u0100-\uffff]/.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
  try {
    headers.append(name, bytes);
  } catch {
    // Not a valid header value (CR, LF or NUL): API Gateway would not have passed it either.
  }
}

/** Content types whose bodies go back to API Gateway as text; the rest are base64-encoded. */
const TEXT_RESPONSE = /^(text\/|application\/(json|xml|javascript)|[^;]*\+(json|xml))/i;

export async function toResult(response: Response): Promise<HttpApiResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  const contentType = response.headers.get('content-type') ?? '';
  const binary = contentType !== '' && !TEXT_RESPONSE.test(contentType);
  const body = binary ? Buffer.from(await response.arrayBuffer()).toString('base64') : await response.text();
  return { statusCode: response.status, headers, ...(cookies.length ? { cookies } : {}), body, isBase64Encoded: binary };
}
