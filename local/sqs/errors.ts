/**
 * Error family of the local SQS server.
 *
 * Real SQS speaks awsJson1_0 in "query compatible" mode: the JSON body carries the Smithy shape
 * (`{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"…"}`) and the `x-amzn-query-error`
 * header carries the legacy Query-protocol code plus the fault (`AWS.SimpleQueueService.NonExistentQueue;Sender`).
 * SDK v3 (`awsQueryCompatible: true` in @aws-sdk/client-sqs) resolves the error class from that header
 * first, so both have to be right for `error.name` to come out as `QueueDoesNotExist`.
 * The query codes below are the `awsQueryError` traits of the SQS Smithy model.
 */
export class SqsServiceError extends Error {
  /** Smithy shape name, e.g. `QueueDoesNotExist`; what the SDK surfaces as `error.name`. */
  readonly shape: string;
  /** Legacy Query-protocol code, e.g. `AWS.SimpleQueueService.NonExistentQueue`; also the batch entry `Code`. */
  readonly queryCode: string;
  readonly httpStatus: number;
  readonly fault: 'Sender' | 'Receiver';

  constructor(shape: string, message: string, options: { queryCode?: string; httpStatus?: number; fault?: 'Sender' | 'Receiver' } = {}) {
    super(message);
    this.name = shape;
    this.shape = shape;
    this.queryCode = options.queryCode ?? shape;
    this.httpStatus = options.httpStatus ?? 400;
    this.fault = options.fault ?? 'Sender';
  }

  get senderFault(): boolean {
    return this.fault === 'Sender';
  }
}

export const sqsErrors = {
  queueDoesNotExist: () =>
    new SqsServiceError('QueueDoesNotExist', 'The specified queue does not exist.', {
      queryCode: 'AWS.SimpleQueueService.NonExistentQueue',
    }),
  queueNameExists: (attributeName: string) =>
    new SqsServiceError('QueueNameExists', `A queue already exists with the same name and a different value for attribute ${attributeName}`, {
      queryCode: 'QueueAlreadyExists',
    }),
  invalidParameterValue: (message: string) => new SqsServiceError('InvalidParameterValue', message),
  missingParameter: (parameter: string) =>
    new SqsServiceError('MissingParameter', `The request must contain the parameter ${parameter}.`),
  invalidAttributeName: (message: string) => new SqsServiceError('InvalidAttributeName', message),
  invalidAttributeValue: (attributeName: string) =>
    new SqsServiceError('InvalidAttributeValue', `Invalid value for the parameter ${attributeName}.`),
  invalidMessageContents: () =>
    new SqsServiceError(
      'InvalidMessageContents',
      'Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF',
    ),
  // The model gives ReceiptHandleIsInvalid HTTP 404 (awsQueryError ["ReceiptHandleIsInvalid", 404]).
  receiptHandleIsInvalid: (receiptHandle: string) =>
    new SqsServiceError('ReceiptHandleIsInvalid', `The input receipt handle "${receiptHandle}" is not a valid receipt handle.`, {
      httpStatus: 404,
    }),
  emptyBatchRequest: (entryShape: string) =>
    new SqsServiceError('EmptyBatchRequest', `There should be at least one ${entryShape} in the request.`, {
      queryCode: 'AWS.SimpleQueueService.EmptyBatchRequest',
    }),
  tooManyEntriesInBatchRequest: (count: number) =>
    new SqsServiceError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${count}.`, {
      queryCode: 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
    }),
  batchEntryIdsNotDistinct: (id: string) =>
    new SqsServiceError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`, {
      queryCode: 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct',
    }),
  invalidBatchEntryId: () =>
    new SqsServiceError(
      'InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      { queryCode: 'AWS.SimpleQueueService.InvalidBatchEntryId' },
    ),
  batchRequestTooLong: (sentBytes: number, maximumBytes: number) =>
    new SqsServiceError('BatchRequestTooLong', `Batch requests cannot be longer than ${maximumBytes} bytes. You have sent ${sentBytes} bytes.`, {
      queryCode: 'AWS.SimpleQueueService.BatchRequestTooLong',
    }),
  // awsQueryError ["OverLimit", 403] in the model.
  overLimit: (message: string) => new SqsServiceError('OverLimit', message, { httpStatus: 403 }),
  resourceNotFound: (message: string) =>
    new SqsServiceError('ResourceNotFoundException', message, { httpStatus: 404 }),
  unsupportedOperation: (message: string) =>
    new SqsServiceError('UnsupportedOperation', message, { queryCode: 'AWS.SimpleQueueService.UnsupportedOperation' }),
  serialization: (message: string) => new SqsServiceError('SerializationException', message),
  internal: () =>
    new SqsServiceError('InternalError', 'We encountered an internal error. Please try again.', { httpStatus: 500, fault: 'Receiver' }),
} as const;
