/**
 * Conveyor's named error family. Branch on `instanceof`, never on message text.
 * Every error carries a stable machine `code` that the API and job records expose.
 */
export class ConveyorError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConveyorError';
    this.code = code;
  }
}

/** A payload or request that fails its schema. `issues` name the paths that are wrong. */
export class JobValidationError extends ConveyorError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;
  constructor(message: string, issues: ReadonlyArray<{ path: string; message: string }> = []) {
    super('VALIDATION_FAILED', message);
    this.name = 'JobValidationError';
    this.issues = issues;
  }
}

/** A request too large to store (a job record over what a DynamoDB item holds); the API answers 413. */
export class PayloadTooLargeError extends ConveyorError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;
  constructor(message: string, issues: ReadonlyArray<{ path: string; message: string }> = []) {
    super('PAYLOAD_TOO_LARGE', message);
    this.name = 'PayloadTooLargeError';
    this.issues = issues;
  }
}

/**
 * Thrown by a job handler when retrying cannot help (bad input, a provider's permanent
 * rejection). The worker ends the job FAILED at once and acknowledges the message,
 * whatever attempts remain — like BullMQ's UnrecoverableError.
 */
export class PermanentJobError extends ConveyorError {
  constructor(message: string, code = 'PERMANENT_FAILURE', options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'PermanentJobError';
  }
}

/** Thrown by a job handler for a failure worth retrying with backoff (throttling, 5xx). */
export class RetryableJobError extends ConveyorError {
  constructor(message: string, code = 'RETRYABLE_FAILURE', options?: ErrorOptions) {
    super(code, message, options);
    this.name = 'RetryableJobError';
  }
}

/** The job's signal aborted: its time ran out before the function deadline. */
export class JobTimeoutError extends ConveyorError {
  constructor(message = 'job exceeded its time limit') {
    super('TIMEOUT', message);
    this.name = 'JobTimeoutError';
  }
}

/** The job was cancelled while it ran; the handler stopped at its next progress call. */
export class JobCancelledError extends ConveyorError {
  constructor(message = 'job was cancelled') {
    super('CANCELLED', message);
    this.name = 'JobCancelledError';
  }
}

/** A conditional write lost: the job was not in the expected state (stale or duplicate delivery). */
export class TransitionConflictError extends ConveyorError {
  readonly jobId: string;
  constructor(jobId: string, message: string) {
    super('TRANSITION_CONFLICT', message);
    this.name = 'TransitionConflictError';
    this.jobId = jobId;
  }
}

/** A job with this id already exists (create is a conditional put). */
export class JobAlreadyExistsError extends ConveyorError {
  constructor(readonly jobId: string) {
    super('JOB_EXISTS', `job ${jobId} already exists`);
    this.name = 'JobAlreadyExistsError';
  }
}

/**
 * The job store or queue could not be reached, throttled the call or failed on its side (5xx): a
 * retry may succeed. The API answers 503 with Retry-After.
 */
export class DependencyUnavailableError extends ConveyorError {
  readonly dependency: string;
  constructor(dependency: string, message: string, options?: ErrorOptions) {
    super('DEPENDENCY_UNAVAILABLE', message, options);
    this.name = 'DependencyUnavailableError';
    this.dependency = dependency;
  }
}

/**
 * Configuration missing or wrong: a variable at cold start (named in the message), or a deployment
 * fault an AWS call reveals — a missing permission (AccessDenied), a queue, table or bucket that does
 * not exist. Retrying cannot fix it; an operator must. The API answers 500 CONFIGURATION_ERROR and
 * logs it at error level.
 */
export class ConfigurationError extends ConveyorError {
  /** The AWS service that revealed the fault, when one did. */
  readonly dependency?: string;
  constructor(message: string, options?: ErrorOptions & { dependency?: string }) {
    super('CONFIGURATION_ERROR', message, options);
    this.name = 'ConfigurationError';
    if (options?.dependency !== undefined) this.dependency = options.dependency;
  }
}

/**
 * A dependency refused a request as malformed (a DynamoDB ValidationException, an SQS
 * InvalidParameterValue): the request Conveyor built is wrong — a bug to log loudly, not an outage to
 * wait out. The API answers 500 INTERNAL.
 */
export class DependencyRequestError extends ConveyorError {
  readonly dependency: string;
  constructor(dependency: string, message: string, options?: ErrorOptions) {
    super('INTERNAL', message, options);
    this.name = 'DependencyRequestError';
    this.dependency = dependency;
  }
}

/**
 * An `Idempotency-Key` was reused in a way that cannot be honoured: with a different body
 * (`IDEMPOTENCY_KEY_MISMATCH`), or while the first request with it is still being accepted
 * (`IDEMPOTENCY_KEY_IN_PROGRESS`). The API answers 409.
 */
export class IdempotencyConflictError extends ConveyorError {
  constructor(
    code: 'IDEMPOTENCY_KEY_MISMATCH' | 'IDEMPOTENCY_KEY_IN_PROGRESS',
    message: string,
    readonly jobId?: string,
  ) {
    super(code, message);
    this.name = 'IdempotencyConflictError';
  }
}

/** A job already in a terminal status cannot be cancelled; the API answers 409. */
export class JobFinishedError extends ConveyorError {
  constructor(
    readonly jobId: string,
    readonly status: string,
  ) {
    super('JOB_FINISHED', `job ${jobId} is already ${status}; only a QUEUED, RETRYING or RUNNING job can be cancelled`);
    this.name = 'JobFinishedError';
  }
}

/** Another release of a held job (or the recovery sweep) is sending it right now: try again later. */
export class ReleaseInProgressError extends ConveyorError {
  constructor(readonly jobId: string) {
    super('RELEASE_IN_PROGRESS', `job ${jobId} is being released by another invocation; retry later`);
    this.name = 'ReleaseInProgressError';
  }
}

/**
 * An edit (`PATCH /v1/jobs/{id}`) of a job that is no longer waiting to start: it started (RUNNING,
 * RETRYING or ended after running) — `JOB_STARTED`; it ended without starting (CANCELLED, EXPIRED) —
 * `JOB_FINISHED`; or another edit, retry or redrive changed it meanwhile — `JOB_CHANGED`; or its type is FIFO,
 * where its queued message holds its place in its group — `JOB_ORDERED`. The API answers 409.
 */
export class JobNotEditableError extends ConveyorError {
  constructor(
    readonly jobId: string,
    readonly status: string,
    code: NotEditableCode,
  ) {
    super(code, notEditableMessage(jobId, status, code));
    this.name = 'JobNotEditableError';
  }
}

type NotEditableCode = 'JOB_STARTED' | 'JOB_FINISHED' | 'JOB_CHANGED' | 'JOB_ORDERED';

function notEditableMessage(jobId: string, status: string, code: NotEditableCode): string {
  switch (code) {
    case 'JOB_CHANGED':
      return `job ${jobId} changed while it was being edited (another edit, retry or redrive); read it and try again`;
    case 'JOB_ORDERED':
      return `job ${jobId} is of a FIFO type: its queued message holds its place in its group, and an edit would run it behind later jobs of the group; cancel it and enqueue the job again instead`;
    default:
      return `job ${jobId} is ${status}; only a QUEUED job that has not started can be edited`;
  }
}

/** A DLQ redrive is already moving messages for this job type (one move task per source queue). */
export class RedriveInProgressError extends ConveyorError {
  constructor(readonly jobType: string) {
    super('REDRIVE_IN_PROGRESS', `a redrive of the "${jobType}" dead-letter queue is already running`);
    this.name = 'RedriveInProgressError';
  }
}

/**
 * A side effect (an e-mail send) got no answer — a timeout or a dropped connection — so it may or
 * may not have happened. Permanent on purpose: repeating it could do it twice.
 */
export class DeliveryUncertainError extends PermanentJobError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, 'DELIVERY_UNCERTAIN', options);
    this.name = 'DeliveryUncertainError';
  }
}
