import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReceivedRequest } from './sigv4-verifier.js';

/**
 * An HTTP server on 127.0.0.1 that records each request and answers it with the next scripted answer
 * (the default answer when the script is empty): 'reset' drops the connection once the request has
 * arrived, 'hang' never answers (the server's close ends such connections).
 */
export type ScriptedAnswer = { readonly status: number; readonly body?: string; readonly headers?: Readonly<Record<string, string>> } | 'reset' | 'hang';

export interface ScriptedServer {
  readonly endpoint: string;
  readonly received: ReceivedRequest[];
  readonly script: ScriptedAnswer[];
  /** Forgets what was received and what was scripted. */
  clear(): void;
  close(): Promise<void>;
}

export async function startScriptedServer(defaultAnswer: ScriptedAnswer): Promise<ScriptedServer> {
  const received: ReceivedRequest[] = [];
  const script: ScriptedAnswer[] = [];
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: new Uint8Array(Buffer.concat(chunks)) });
      const answer = script.shift() ?? defaultAnswer;
      if (answer === 'hang') return;
      if (answer === 'reset') return request.socket.destroy();
      response.writeHead(answer.status, { 'x-amzn-requestid': 'REQ', ...answer.headers });
      response.end(answer.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    script,
    clear: () => {
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
