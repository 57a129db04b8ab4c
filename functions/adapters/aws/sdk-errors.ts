import { ConfigurationError, ConveyorError, DependencyRequestError, DependencyUnavailableError } from '../../../shared/domain/errors.js';

/*
 * What an AWS SDK error means for Conveyor, decided in one place for every adapter family: each
 * family (DynamoDB, SQS, S3, EventBridge Scheduler) turns its errors into one of the project's named
 * errors through `awsFailure` below, with its own service name and the resource to check.
 *
 * - configuration: retrying cannot help, an operator must act — a missing permission, a table, queue
 *   or bucket that does not exist, a KMS key the role cannot use, credentials AWS does not recognise
 *   → ConfigurationError (500 CONFIGURATION_ERROR, logged at error level);
 * - bug: the service refused the request Conveyor built (ValidationException, InvalidParameterValue,
 *   any other client fault) → DependencyRequestError (500 INTERNAL, logged loudly);
 * - unavailable: throttling, a 5xx, a timeout or a dropped connection — a retry may succeed
 *   → DependencyUnavailableError (503 with Retry-After; the consumer retries the store call).
 *
 * Names are the SDK v3 exception names (`error.name`); SQS's JSON protocol names them without the
 * `AWS.SimpleQueueService.` prefix of its query-protocol codes, which the SDK keeps in `Code`.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/CommonErrors.html
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
 */

export type AwsFault = 'configuration' | 'bug' | 'unavailable';

/** Permissions, credentials and resources that are not there: the deployment is wrong. */
const CONFIGURATION = new Set([
  'AccessDeniedException',
  'AccessDenied',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'MissingAuthenticationToken',
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'NoSuchBucket',
  'KmsAccessDenied',
  'KmsDisabled',
  'KmsNotFound',
  'KmsInvalidState',
  'KmsInvalidKeyUsage',
  'KmsOptInRequired',
  'InvalidSecurity',
  'InvalidAddress',
  'UnsupportedOperation',
]);

/** Throttling, under any of the names AWS services give it, and server-side failures. */
const UNAVAILABLE = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'KmsThrottled',
  'SlowDown',
  'OverLimit',
  'LimitExceededException',
  'ExpiredTokenException',
  'ExpiredToken',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

interface SdkErrorShape {
  readonly name?: string;
  readonly Code?: string;
  readonly $fault?: 'client' | 'server';
  readonly $metadata?: { readonly httpStatusCode?: number };
}

/** What an error thrown by an AWS SDK v3 call means (see above). */
export function classifyAwsError(error: unknown): AwsFault {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const names = [shape.name, shape.Code].filter((n): n is string => typeof n === 'string');
  if (names.some((n) => CONFIGURATION.has(n))) return 'configuration';
  if (names.some((n) => UNAVAILABLE.has(n))) return 'unavailable';
  const status = shape.$metadata?.httpStatusCode;
  if (shape.$fault === 'server' || (status !== undefined && status >= 500) || status === 429) return 'unavailable';
  // A service answered and blamed the request: Conveyor built it wrong.
  if (shape.$fault === 'client' || (status !== undefined && status >= 400)) return 'bug';
  // No answer at all (timeout, refused or reset connection, DNS): the service may be back in a moment.
  return 'unavailable';
}

/**
 * The named error of a failed AWS call. `dependency` names the service (`dynamodb`, `sqs`, `s3`,
 * `scheduler`), `what` the operation in Conveyor's words ("job store get"), `resource` what to check
 * when the deployment is wrong ("table conveyor-prod-jobs"). A ConveyorError raised inside the call's
 * `try` passes through unchanged.
 */
export function awsFailure(dependency: string, what: string, error: unknown, resource?: string): ConveyorError {
  if (error instanceof ConveyorError) return error;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  switch (classifyAwsError(error)) {
    case 'configuration':
      return new ConfigurationError(`${what} failed: ${dependency} refused it as a deployment fault${resource ? ` (check ${resource} and the function's permissions on it)` : ' (check the resource and the function\'s permissions)'} — ${reason}`, { cause: error, dependency });
    case 'bug':
      return new DependencyRequestError(dependency, `${what} failed: ${dependency} rejected the request Conveyor built — ${reason}`, { cause: error });
    case 'unavailable':
      return new DependencyUnavailableError(dependency, `${what} failed — ${reason}`, { cause: error });
  }
}

/** DynamoDB's adapters (job store, listing, idempotency, API keys, dead-letter index, side-effect ledger). */
export function dynamoFailure(what: string, error: unknown, tableName?: string): ConveyorError {
  return awsFailure('dynamodb', what, error, tableName ? `table ${tableName}` : undefined);
}

/** SQS's adapters (job queues, webhook queue, queue admin). */
export function sqsFailure(what: string, error: unknown, queueUrl?: string): ConveyorError {
  return awsFailure('sqs', what, error, queueUrl ? `queue ${queueUrl}` : undefined);
}

/** S3's adapter (blob store). */
export function s3Failure(what: string, error: unknown, bucket?: string): ConveyorError {
  return awsFailure('s3', what, error, bucket ? `bucket ${bucket}` : undefined);
}

/** EventBridge Scheduler's adapter (release scheduler). */
export function schedulerFailure(what: string, error: unknown, group?: string): ConveyorError {
  return awsFailure('scheduler', what, error, group ? `schedule group ${group}` : undefined);
}
