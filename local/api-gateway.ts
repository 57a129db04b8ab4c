import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { isLoopbackHost, refuseForeignHost } from './loopback-host.js';

/** The structured response of payload format 2.0 (headers may repeat, as multi-value arrays). */
export interface HttpApiResult {
  readonly statusCode?: number;
  readonly headers?: Readonly<Record<string, string | number | boolean | readonly string[]>>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly cookies?: readonly string[];
}

export type HttpApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<HttpApiResult>;

/**
 * API Gateway refuses request bodies over 10 MB before any Lambda runs (HTTP API quotas, "Payload
 * size": https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
 */
const API_GATEWAY_MAX_BODY = 10 * 1024 * 1024;
/**
 * A synchronous Lambda invocation carries at most 6 MB (Lambda quotas, "Invocation payload (request
 * and response)": https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and the
 * request event is the body JSON-escaped plus headers and context: a body that passes the gateway's
 * 10 MB but whose event does not fit never reaches the function. The gateway then answers 413 with a
 * `{message}` body of its own (as reported by its users: AWS's pages give the limits, not this answer).
 */
export const LAMBDA_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** HTTP API integrations time out at 30 s. */
const INTEGRATION_TIMEOUT_MS = 30_000;

/**
 * How payload format 2.0 carries the body (Working with AWS Lambda proxy integrations for HTTP APIs):
 * `body` is the body as text, or, "if the content type of the request is binary", base64-encoded with
 * `isBase64Encoded: true`. The docs do not list which types count as text; these are the ones HTTP
 * APIs are observed to pass as text. Anything else — no content type, form bodies, `+json` types —
 * arrives base64-encoded.
 */
const TEXTUAL = /^\s*(text\/[^;\s]+|application\/(json|xml|javascript))\s*(;|$)/i;

export interface LocalHttpApi {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * A local API Gateway HTTP API ($default route, payload format 2.0): builds the same
 * `APIGatewayProxyEventV2` AWS sends and calls the same Lambda handler.
 */
/** Serves a request itself (true) before it reaches the API — the local dashboard's static files. */
export type LocalRoute = (request: IncomingMessage, response: ServerResponse) => boolean;

export async function serveHttpApi(handler: HttpApiHandler, options: { port?: number; host?: string; functionName?: string; localRoutes?: LocalRoute } = {}): Promise<LocalHttpApi> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    if (!isLoopbackHost(request.headers.host)) return refuseForeignHost(response, 'API');
    if (options.localRoutes?.(request, response)) return;
    void dispatch(handler, request, response, options.functionName ?? 'conveyor-local-api');
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function dispatch(handler: HttpApiHandler, request: IncomingMessage, response: ServerResponse, functionName: string): Promise<void> {
  try {
    const body = await readBody(request);
    if (body === undefined) return send(response, 413, { message: 'Request Entity Too Large' });
    const event = toEvent(request, body);
    if (Buffer.byteLength(JSON.stringify(event), 'utf8') > LAMBDA_SYNC_PAYLOAD_BYTES) return send(response, 413, { message: 'Request Too Long' });
    const deadline = Date.now() + INTEGRATION_TIMEOUT_MS;
    const result = await Promise.race([
      handler(event, lambdaContext(functionName, deadline)),
      new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS).unref()),
    ]);
    if (result === 'timeout') return send(response, 503, { message: 'Service Unavailable' });
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = Array.isArray(value) ? [...(value as string[])] : String(value);
    if (result.cookies?.length) headers['set-cookie'] = [...result.cookies];
    response.writeHead(result.statusCode ?? 200, headers);
    response.end(result.body === undefined ? undefined : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8'));
  } catch {
    // What API Gateway answers when the integration itself fails.
    send(response, 500, { message: 'Internal Server Error' });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end();
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > API_GATEWAY_MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function toEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  // Payload format 2.0 lower-cases header names and joins repeated headers with commas.
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const cookies = request.headers.cookie?.split(';').map((c) => c.trim()).filter(Boolean);
  const contentType = headers['content-type'] ?? '';
  // Bytes that are not UTF-8 cannot be text, whatever the content type says: they go to the handler
  // base64-encoded, as binary, never decoded with U+FFFD in place of what the client sent.
  const isText = body.length === 0 || (TEXTUAL.test(contentType) && isUtf8(body));
  const now = new Date();
  const queryStringParameters: Record<string, string> = {};
  for (const [key, value] of url.searchParams) queryStringParameters[key] = key in queryStringParameters ? `${queryStringParameters[key]},${value}` : value;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(url.search ? { queryStringParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length ? { body: body.toString(isText ? 'utf8' : 'base64') } : {}),
    isBase64Encoded: !isText,
  };
}

export function lambdaContext(functionName: string, deadline: number): Context {
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
