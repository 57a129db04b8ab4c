import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A completion-webhook receiver on 127.0.0.1: records every POST, answers 204, or 500 while a path has failures left. */
export interface WebhookReceiver {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedWebhook[];
  /** Paths that answer `failureStatus` this many more times before 204. */
  readonly failures: Map<string, number>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { port?: number; failureStatus?: number } = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const failures = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({ path, headers: request.headers, body });
      const left = failures.get(path) ?? 0;
      failures.set(path, left - 1);
      response.writeHead(left > 0 ? (options.failureStatus ?? 500) : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, received, failures, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A port nothing listens on (it was free a moment ago): connections to it are refused until a receiver takes it. */
export async function refusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
