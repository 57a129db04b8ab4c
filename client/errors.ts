/**
 * The client's errors, one class per kind of answer, mirroring the API's `{error:{code,message,issues?}}`.
 * Branch on `instanceof`; `code` is the API's machine code (`VALIDATION_FAILED`, `RATE_LIMITED`, …).
 */

export interface Issue {
  /** Where the request is wrong, e.g. `payload.to.0`, `headers.idempotency-key`, `query.limit`. */
  readonly path: string;
  readonly message: string;
}

/** Any error answer of the API. */
export class ConveyorApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly Issue[] = [],
    /** Seconds the API asked to wait before trying again (`Retry-After`), when it said. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'ConveyorApiError';
  }
}

/** 400: the body, a header or a query parameter is wrong; `issues` name each field. */
export class ValidationError extends ConveyorApiError {
  override name = 'ValidationError';
}
/** 401: no API key, or an unknown or revoked one. */
export class UnauthorizedError extends ConveyorApiError {
  override name = 'UnauthorizedError';
}
/** 403: the key lacks the scope (operator routes need `admin`). */
export class ForbiddenError extends ConveyorApiError {
  override name = 'ForbiddenError';
}
/** 404: no such job (or another tenant's), route or job type. */
export class NotFoundError extends ConveyorApiError {
  override name = 'NotFoundError';
}
/** 409: `IDEMPOTENCY_KEY_MISMATCH`, `IDEMPOTENCY_KEY_IN_PROGRESS`, `JOB_FINISHED`, `JOB_STARTED`, `JOB_CHANGED`, `JOB_ORDERED`, `NOT_RETRYABLE`, `REDRIVE_IN_PROGRESS`… */
export class ConflictError extends ConveyorApiError {
  override name = 'ConflictError';
}
/** 413: the body is over the API's limit. */
export class PayloadTooLargeError extends ConveyorApiError {
  override name = 'PayloadTooLargeError';
}
/** 429: the tenant's enqueue budget is spent; try again after `retryAfterSeconds`. Nothing was accepted. */
export class RateLimitedError extends ConveyorApiError {
  override name = 'RateLimitedError';
}
/** 503: a dependency is down; the API accepted nothing. Try again after `retryAfterSeconds`. */
export class ServiceUnavailableError extends ConveyorApiError {
  override name = 'ServiceUnavailableError';
}
/** Any other answer (500, 502, 504…). */
export class ServerError extends ConveyorApiError {
  override name = 'ServerError';
}

/** No answer: the API could not be reached, or the connection broke. */
export class ConnectionError extends Error {
  override name = 'ConnectionError';
  constructor(
    readonly endpoint: string,
    /** False only when the request surely never reached the server (connection refused, unknown host). */
    readonly mayHaveBeenSent: boolean,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach Conveyor at ${endpoint} (${describeCause(options?.cause)})`, options);
  }
}

export interface JobFailure {
  readonly code: string;
  readonly message: string;
}

/** `wait` saw the job end without succeeding: FAILED, DEAD, CANCELLED or EXPIRED. `job` is its last view. */
export class JobOutcomeError<TJob = unknown> extends Error {
  constructor(
    readonly jobId: string,
    readonly status: 'FAILED' | 'DEAD' | 'CANCELLED' | 'EXPIRED',
    readonly error: JobFailure | undefined,
    readonly job: TJob,
  ) {
    super(`job ${jobId} ended ${status}${error ? `: ${error.code} — ${error.message}` : ''}`);
    this.name = 'JobOutcomeError';
  }
}
/** The handler failed permanently (or a payload was refused): no retry happened or will. */
export class JobFailedError<TJob = unknown> extends JobOutcomeError<TJob> {
  override name = 'JobFailedError';
}
/** Every attempt failed; the job's message is in its dead-letter queue (an operator may redrive it). */
export class JobDeadError<TJob = unknown> extends JobOutcomeError<TJob> {
  override name = 'JobDeadError';
}
/** The job was cancelled. */
export class JobCancelledError<TJob = unknown> extends JobOutcomeError<TJob> {
  override name = 'JobCancelledError';
}
/** The job was not started by its `ttlSeconds` deadline (`startBy`): it never ran. */
export class JobExpiredError<TJob = unknown> extends JobOutcomeError<TJob> {
  override name = 'JobExpiredError';
}
/** A result stored apart (too large for the job record) could not be downloaded, or its bytes do not match its digest. */
export class StoredResultError extends Error {
  override name = 'StoredResultError';
  constructor(
    readonly jobId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`the stored result of job ${jobId} ${message}`, options);
  }
}
/** `wait`'s `timeoutMs` passed before the job ended; `job` is the last view seen. */
export class WaitTimeoutError<TJob = unknown> extends Error {
  override name = 'WaitTimeoutError';
  constructor(
    readonly jobId: string,
    readonly job: TJob | undefined,
  ) {
    super(`job ${jobId} had not ended when the wait timed out`);
  }
}

/** The error class for an API answer of `status`. */
export function apiError(status: number, code: string, message: string, issues: readonly Issue[], retryAfterSeconds: number | undefined): ConveyorApiError {
  const Kind =
    ({ 400: ValidationError, 401: UnauthorizedError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError, 413: PayloadTooLargeError, 429: RateLimitedError, 503: ServiceUnavailableError } as Record<number, typeof ConveyorApiError>)[status] ??
    (status >= 500 ? ServerError : ConveyorApiError);
  return new Kind(status, code, message, issues, retryAfterSeconds);
}

function describeCause(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (inner && typeof inner === 'object' && 'code' in inner && typeof inner.code === 'string') return inner.code;
  return inner instanceof Error ? inner.message : String(inner);
}
