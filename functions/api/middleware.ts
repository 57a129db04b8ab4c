import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { CORRELATION_HEADER, isCorrelationId } from '../../shared/domain/correlation.js';
import type { LambdaContextLike, LambdaInvocations } from '../../shared/logging/invocation.js';
import { withLogFields } from '../../shared/logging/scope.js';
import type { ApiKeyResolver, Principal, Scope } from '../../shared/ports/api-keys.js';
import type { Logger } from '../../shared/ports/logger.js';
import type { Tracer } from '../../shared/ports/tracer.js';
import { HttpError } from './http-errors.js';
import { parseUntrustedJson } from './safe-json.js';

export interface ApiVariables {
  principal: Principal;
  jsonBody: unknown;
  /** This request's correlation id (shared/domain/correlation.ts). */
  correlationId: string;
}

/**
 * What the Lambda adapter (`hono/aws-lambda`'s `handle`, also behind the local API Gateway) passes as
 * the app's environment: API Gateway's request context and the Lambda context. Absent elsewhere.
 */
export interface ApiBindings {
  readonly requestContext?: { readonly requestId?: string };
  readonly lambdaContext?: unknown;
}
export type ApiEnv = { Variables: ApiVariables; Bindings: ApiBindings | undefined };

/**
 * Opens the request's log scope: its correlation id (a valid `x-correlation-id` from the caller, else
 * API Gateway's request id), the Lambda request id and cold start — on every line the request logs,
 * echoed in the response header — and logs one line per request with its outcome.
 */
export function requestScope(invocations: LambdaInvocations, logger: Logger, tracer: Tracer, now: () => number = Date.now): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const started = now();
    const header = c.req.header(CORRELATION_HEADER);
    const apiRequestId = c.env?.requestContext?.requestId;
    const correlationId = isCorrelationId(header) ? header : isCorrelationId(apiRequestId) ? apiRequestId : randomUUID();
    c.set('correlationId', correlationId);
    const lambda = lambdaContextOf(c.env?.lambdaContext);
    const scoped = async (): Promise<void> => {
      await tracer.span('request', { correlationId }, next);
      c.res.headers.set(CORRELATION_HEADER, correlationId);
      const status = c.res.status;
      // Failures (5xx) are logged where they are handled (app.ts onError), with the error.
      logger.info('request', { method: c.req.method, path: c.req.path, status, durationMs: now() - started });
    };
    await (lambda ? invocations.run(lambda, { correlationId }, scoped) : withLogFields({ correlationId }, scoped));
  };
}

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

/** The Lambda context the adapter passed, when it is one (a request id to log). */
function lambdaContextOf(value: unknown): LambdaContextLike | undefined {
  return typeof value === 'object' && value !== null && typeof (value as { awsRequestId?: unknown }).awsRequestId === 'string' ? (value as LambdaContextLike) : undefined;
}
