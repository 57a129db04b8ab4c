import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/**
 * The Host names the local servers answer to. A web page the developer visits can make its own host
 * name resolve to 127.0.0.1 (DNS rebinding) and so reach these ports as a "same-origin" site: the API
 * with the well-known development key, local DynamoDB, SQS and S3 with any signature. Its requests
 * then carry the attacker's Host, which is refused.
 */
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost\.?|\[::1\])(:\d{1,5})?$/i;

export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Puts the Host check in front of a server's request listeners, including those of a server another
 * library built (dynalite, s3rver, aws-ses-v2-local): a request with a foreign Host gets 403 and never
 * reaches them.
 */
export function answerOnlyLoopbackHosts(server: Server, service: string): void {
  const listeners = server.listeners('request') as RequestListener[];
  server.removeAllListeners('request');
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!isLoopbackHost(request.headers.host)) return refuseForeignHost(response, service);
    for (const listener of listeners) listener.call(server, request, response);
  });
}

export function refuseForeignHost(response: ServerResponse, service: string): void {
  const body = JSON.stringify({ message: `Forbidden: the local ${service} answers only to 127.0.0.1, localhost or [::1] as Host` });
  response.writeHead(403, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
