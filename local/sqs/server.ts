import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SqsServiceError, sqsErrors } from './errors.js';
import { asJsonObject } from './input.js';
import { SqsJournal } from './journal.js';
import { SqsService, type QueueStats } from './service.js';
import { answerOnlyLoopbackHosts } from '../loopback-host.js';

/**
 * An SQS-compatible server on node:http, speaking the awsJson1_0 protocol the AWS SDK v3 uses:
 * `POST /`, `X-Amz-Target: AmazonSQS.<Action>`, JSON in and out. Signatures are not checked.
 *
 * Errors carry the Smithy shape in `__type` and the legacy code in `x-amzn-query-error`, which is
 * how the SDK (awsQueryCompatible) names them; every request gets an answer, including unknown
 * actions (UnsupportedOperation) and malformed bodies.
 */

export interface SqsServerOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Region in queue ARNs; default us-east-1. */
  readonly region?: string;
  /** Account in queue URLs and ARNs; default 000000000000. */
  readonly accountId?: string;
  /**
   * Epoch-ms clock for everything time-based: delays, visibility timeouts, retention, long-poll waits,
   * the FIFO deduplication window, move-task rates. Tests inject one and move it, then call `tick()`.
   */
  readonly clock?: () => number;
  /**
   * Persist queues and messages in an append-only journal in this folder (journal.ts) and restore them
   * on start. Memory only when absent.
   */
  readonly dataDir?: string;
}

export interface SqsServerStats {
  readonly queues: readonly QueueStats[];
}

export interface SqsServer {
  /** Base URL for `new SQSClient({ endpoint })`, e.g. `http://127.0.0.1:43125`. */
  readonly endpoint: string;
  readonly region: string;
  readonly accountId: string;
  /** Messages brought back from the data dir's journal at start (0 without one). */
  readonly restoredMessages: number;
  /** Message counts per queue, without going through the API. */
  stats(): SqsServerStats;
  /**
   * Applies the clock's present at once: due delays and visibility timeouts make messages visible (and
   * wake long polls), long polls whose wait ran out answer empty, rate-limited move tasks move what they
   * may. With the system clock the server's timers do this on their own; a test that moved an injected
   * clock calls it instead of sleeping.
   */
  tick(): void;
  /** Ends pending long polls (empty result), stops accepting connections and waits for them to close. */
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AmazonSQS.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
// A 1 MiB batch can grow several-fold when JSON-escaped; anything far beyond is not an SQS request.
const MAXIMUM_REQUEST_BYTES = 8 * 1024 * 1024;
// Longer than any SDK's idle socket timeout, so the server never closes a socket the client is reusing.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
// After close(), connections still open (a client mid-request) get this long before they are cut.
const CLOSE_GRACE_MS = 1_000;

export async function startSqsServer(options: SqsServerOptions = {}): Promise<SqsServer> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const journal = options.dataDir ? new SqsJournal(join(options.dataDir, 'journal.jsonl')) : undefined;
  const service = new SqsService({ region, accountId, clock: options.clock ?? Date.now, ...(journal ? { journal } : {}) });
  let closing = false;

  const server = createServer({ keepAlive: true, noDelay: true }, (request, response) => {
    handleRequest(service, request, response, () => closing);
  });
  answerOnlyLoopbackHosts(server, 'SQS');
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://${urlHost(host)}:${port}`;
  service.setEndpoint(endpoint);
  const restoredMessages = service.restore();

  let closed: Promise<void> | undefined;
  return {
    endpoint,
    region,
    accountId,
    restoredMessages,
    stats: () => ({ queues: service.stats() }),
    tick: () => service.tick(),
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        // Answer parked long polls first; their responses go out with `connection: close`.
        service.close();
        const forceClose = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        forceClose.unref();
        server.close(() => {
          clearTimeout(forceClose);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}

function handleRequest(service: SqsService, request: IncomingMessage, response: ServerResponse, isClosing: () => boolean): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAXIMUM_REQUEST_BYTES) tooLarge = true;
    else chunks.push(chunk);
  });
  request.on('error', () => response.destroy());
  request.on('end', () => {
    if (tooLarge) {
      sendError(response, sqsErrors.invalidParameterValue(`Request body exceeds ${MAXIMUM_REQUEST_BYTES} bytes.`), isClosing());
      return;
    }
    void respond(service, request, response, chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks), isClosing);
  });
}

async function respond(service: SqsService, request: IncomingMessage, response: ServerResponse, body: Buffer, isClosing: () => boolean): Promise<void> {
  let abort: AbortController | undefined;
  try {
    const action = actionOf(request);
    const input = asJsonObject(body.length === 0 ? {} : parseJson(body));
    if (action === 'ReceiveMessage') {
      // A long poll must notice the caller leaving ('close' on the response, which also fires after a
      // normal finish — harmless then, the wait is over).
      abort = new AbortController();
      const controller = abort;
      response.once('close', () => controller.abort());
      if (request.socket.destroyed) controller.abort();
    }
    const result = await service.dispatch(action, input, abort ? { signal: abort.signal } : {});
    sendJson(response, 200, result, undefined, isClosing());
  } catch (error) {
    if (error instanceof SqsServiceError) {
      sendError(response, error, isClosing());
    } else {
      console.error('[local-sqs] internal error', error);
      sendError(response, sqsErrors.internal(), isClosing());
    }
  }
}

function actionOf(request: IncomingMessage): string {
  if (request.method !== 'POST') throw sqsErrors.unsupportedOperation(`Only POST requests are supported (got ${request.method ?? 'none'}).`);
  const target = request.headers['x-amz-target'];
  if (typeof target !== 'string' || !target.startsWith(TARGET_PREFIX)) {
    // The legacy Query protocol (form-encoded Action=…) is not spoken here; SDK v3 uses JSON.
    throw sqsErrors.unsupportedOperation('Missing or unknown X-Amz-Target header; this server speaks the AWS JSON protocol (AmazonSQS.<Action>).');
  }
  return target.slice(TARGET_PREFIX.length);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw sqsErrors.serialization('The request body is not valid JSON.');
  }
}

function sendError(response: ServerResponse, error: SqsServiceError, closing: boolean): void {
  sendJson(
    response,
    error.httpStatus,
    { __type: `com.amazonaws.sqs#${error.shape}`, message: error.message },
    `${error.queryCode};${error.fault}`,
    closing,
  );
}

function sendJson(response: ServerResponse, status: number, body: unknown, queryError: string | undefined, closing: boolean): void {
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body ?? {});
  const headers: Record<string, string | number> = {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload, 'utf8'),
    'x-amzn-requestid': randomUUID(),
  };
  if (queryError) headers['x-amzn-query-error'] = queryError;
  if (closing) headers['connection'] = 'close';
  response.writeHead(status, headers);
  response.end(payload);
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
