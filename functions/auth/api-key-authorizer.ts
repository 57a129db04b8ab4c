import { CORRELATION_HEADER, isCorrelationId } from '../../shared/domain/correlation.js';
import { ConveyorError, DependencyUnavailableError } from '../../shared/domain/errors.js';
import type { ApiKeyResolver } from '../../shared/ports/api-keys.js';
import type { Logger } from '../../shared/ports/logger.js';

/** The part of API Gateway's HTTP API authorizer event (payload 2.0) that this authorizer reads. */
export interface AuthorizerRequest {
  readonly headers?: Readonly<Record<string, string | undefined>>;
  readonly requestContext?: { readonly requestId?: string };
}

/**
 * The "simple response" of an HTTP API Lambda authorizer. `context` reaches the integration as
 * `event.requestContext.authorizer.lambda` and the access log as `$context.authorizer.<key>`.
 */
export interface AuthorizerResult {
  readonly isAuthorized: boolean;
  readonly context?: { readonly tenant: string; readonly keyId: string; readonly scopes: string };
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Lets a request through only with a known, unrevoked API key, looked up by its SHA-256 (keys are
 * never stored in plain text). A denial is an answer (API Gateway returns 403 and caches it); a
 * failed lookup is not — it throws, API Gateway answers 500 and caches nothing, so a DynamoDB blip
 * does not lock a valid key out for the cache period.
 */
export function createApiKeyAuthorizer(deps: { readonly keys: ApiKeyResolver; readonly logger: Logger }) {
  return async function authorize(request: AuthorizerRequest): Promise<AuthorizerResult> {
    // HTTP APIs lower-case header names in payload 2.0.
    const presented = BEARER.exec(request.headers?.authorization ?? '')?.[1];
    if (!presented) return { isAuthorized: false };
    // The same correlation id the API function will give this request (functions/api/middleware.ts).
    const header = request.headers?.[CORRELATION_HEADER];
    const correlationId = isCorrelationId(header) ? header : request.requestContext?.requestId;
    try {
      const principal = await deps.keys.resolve(presented);
      if (!principal) {
        deps.logger.info('api key refused', { correlationId });
        return { isAuthorized: false };
      }
      return { isAuthorized: true, context: { tenant: principal.tenant, keyId: principal.keyId, scopes: principal.scopes.join(',') } };
    } catch (error) {
      deps.logger.error('api key lookup failed', { correlationId, error });
      throw error instanceof ConveyorError ? error : new DependencyUnavailableError('dynamodb', 'api key lookup failed', { cause: error });
    }
  };
}
