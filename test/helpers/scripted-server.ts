import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceivedRequest } from './sigv4-verifier.js';

/**
 * An HTTP/1.1 server on 127.0.0.1 answering each request with the next scripted answer: a status,
 * headers and body; `reset` (the socket is destroyed, no answer); `hold` (never answered until the
 * server closes); or a function run on receipt that then answers. Every request is recorded as it
 * arrived (raw path and query, headers, body), for assertions and the SigV4 verifier.
 */
export type ScriptedAnswer =
  | { readonly status: number; readonly body?: string; readonly headers?: Readonly<Record<string, string>> }
  | 'reset'
  | 'hold'
  | ((request: ReceivedRequest) => ScriptedAnswer);

export interface ScriptedServer {
  readonly endpoint: string;
  readonly received: ReceivedRequest[];
  readonly script: ScriptedAnswer[];
  /** Forgets what was received and what is still scripted. */
  reset(): void;
  close(): Promise<void>;
}

export async function startScriptedServer(fallback: ScriptedAnswer = { status: 500, body: '{"message":"no answer scripted"}' }): Promise<ScriptedServer> {
  const received: ReceivedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const answer = (request: IncomingMessage, response: ServerResponse, recorded: ReceivedRequest, next: ScriptedAnswer): void => {
    if (typeof next === 'function') return answer(request, response, recorded, next(recorded));
    if (next === 'hold') return;
    if (next === 'reset') return void request.socket.destroy();
    response.writeHead(next.status, { 'x-amzn-requestid': 'REQ-1', ...next.headers });
    response.end(next.body ?? '');
  };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: ReceivedRequest = { method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: new Uint8Array(Buffer.concat(chunks)) };
      received.push(recorded);
      answer(request, response, recorded, script.shift() ?? fallback);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    script,
    reset: () => {
      received.length = 0;
      script.length = 0;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An address nothing listens on (a port just released): connecting to it is refused. */
export async function refusingEndpoint(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
