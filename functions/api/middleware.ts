import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { CORRELATION_HEADER, isCorrelationId } from '../../shared/domain/correlation.js';
import type { LambdaContextLike, LambdaInvocations } from '../../shared/logging/invocation.js';
import { withLogFields } from '../../shared/logging/scope.js';
import type { ApiKeyResolver, Principal } from '../../shared/ports/api-keys.js';
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
  readonly lambdaContext?: LambdaContextLike;
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
    const lambda = c.env?.lambdaContext;
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

export function requireScope(scope: Principal['scopes'][number]): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    if (!c.get('principal').scopes.includes(scope)) throw new HttpError(403, 'FORBIDDEN', `this API key lacks the "${scope}" scope`);
    await next();
  };
}

/**
 * Reads a JSON body defensively: 415 unless `application/json`, 413 past `maxBytes` (checked on the
 * declared length first, then on the bytes actually read), 400 for malformed or hostile JSON.
 */
export function jsonBody(maxBytes: number): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!/^application\/json\s*(;|$)/i.test(contentType)) {
      throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type must be application/json');
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
