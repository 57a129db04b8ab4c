import type { MiddlewareHandler } from 'hono';
import type { ApiKeyResolver, Principal, Scope } from '../../shared/ports/api-keys.js';
import { HttpError } from './http-errors.js';
import { parseUntrustedJson } from './safe-json.js';

export interface ApiVariables {
  principal: Principal;
  jsonBody: unknown;
}
export type ApiEnv = { Variables: ApiVariables };

/** Bearer API-key authentication. The tenant is the key's owner. */
export function requireApiKey(keys: ApiKeyResolver): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw new HttpError(401, 'UNAUTHENTICATED', 'missing or malformed Authorization header: expected "Bearer <api key>"', undefined, { 'www-authenticate': 'Bearer' });
    const principal = await keys.resolve(match[1]);
    if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'unknown or revoked API key', undefined, { 'www-authenticate': 'Bearer' });
    c.set('principal', principal);
    await next();
  };
}

/** 403 unless the key holds one of `scopes`. */
export function requireScope(...scopes: [Scope, ...Scope[]]): MiddlewareHandler<ApiEnv> {
  const named = scopes.map((s) => `"${s}"`).join(' or ');
  return async (c, next) => {
    const held = c.get('principal').scopes;
    if (!scopes.some((scope) => held.includes(scope))) throw new HttpError(403, 'FORBIDDEN', `this API key lacks the ${named} scope`);
    await next();
  };
}

/**
 * Reads a JSON body defensively: 415 unless `application/json` in UTF-8 (RFC 8259: JSON between
 * systems is UTF-8; a `charset` parameter, if any, must say so), 413 past `maxBytes` (checked on the
 * declared length first, then on the bytes actually read), 400 for bytes that are not UTF-8 and for
 * malformed or hostile JSON.
 */
export function jsonBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type must be application/json');
    }
    const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType)?.[1];
    if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `charset "${charset}" is not supported: send JSON in UTF-8`, [{ path: 'headers.content-type', message: 'charset must be utf-8 (or absent)' }]);
    }
    const declared = Number(c.req.header('content-length') ?? '0');
    if (declared > maxBytes) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body over ${maxBytes} bytes`);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (bytes.byteLength > maxBytes) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `request body over ${maxBytes} bytes`);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new HttpError(400, 'INVALID_JSON', 'request body is not valid UTF-8');
    }
    const parsed = parseUntrustedJson(text);
    if (!parsed.ok) {
      throw new HttpError(400, 'INVALID_JSON', parsed.message, parsed.path !== undefined ? [{ path: parsed.path, message: parsed.message }] : undefined);
    }
    c.set('jsonBody', parsed.value);
    await next();
  };
}
