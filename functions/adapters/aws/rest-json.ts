import { HttpRequest } from '@smithy/core/protocols';
import type { SignedResponse } from './signed-http.js';

/*
 * What the small REST-JSON clients (Lambda, SES v2, Bedrock Runtime) share: where the service is, the
 * request they send, and how they read an error answer.
 */

/** The service's endpoint: the configured one (a local server), else `https://<prefix>.<region>.amazonaws.com`. */
export function serviceEndpoint(prefix: string, region: string, endpoint?: string): URL {
  return new URL(endpoint ?? `https://${prefix}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`);
}

/** A request with a JSON body to `path` under the endpoint (its own path prefix kept). */
export function jsonRequest(endpoint: URL, method: 'POST' | 'PUT', path: string, payload: unknown): HttpRequest {
  const body = new TextEncoder().encode(JSON.stringify(payload));
  const { protocol, hostname, port } = endpoint;
  return new HttpRequest({
    method,
    protocol,
    hostname,
    ...(port ? { port: Number(port) } : {}),
    path: `${endpoint.pathname.replace(/\/+$/, '')}${path}`,
    headers: { host: port ? `${hostname}:${port}` : hostname, 'content-type': 'application/json', 'content-length': String(body.byteLength) },
    body,
  });
}

/**
 * A REST-JSON service's error answer (Lambda, SES v2…), read as the SDK reads it (@smithy/core
 * `loadRestJsonErrorCode`): the name from the `x-amzn-ErrorType` header, else the body's `code`
 * (any case), else its `__type`, cut to the bare name (`Name:http://internal…`, `ns#Name`, `A,B`);
 * the message from `message` or `Message`. Lambda's body `Type` is the fault side (User or Service),
 * not the error's name, and is not read.
 */
export function restJsonError(response: SignedResponse): { code?: string | undefined; message?: string | undefined } {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(new TextDecoder().decode(response.body));
    if (parsed && typeof parsed === 'object') data = parsed as Record<string, unknown>;
  } catch {
    // Not JSON (a proxy's page): named by the status (signed-http.ts).
  }
  const codeKey = Object.keys(data).find((key) => key.toLowerCase() === 'code');
  const raw = [response.headers['x-amzn-errortype'], codeKey === undefined ? undefined : data[codeKey], data.__type].find((v): v is string => typeof v === 'string' && v.length > 0);
  const code = raw?.split(',')[0]?.split(':')[0]?.split('#').pop();
  const message = [data.message, data.Message].find((v): v is string => typeof v === 'string');
  return { code: code || undefined, message };
}
