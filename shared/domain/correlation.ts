/**
 * The correlation id: one id for everything a request set off — the API call, the job's record, its
 * SQS message (as a message attribute, never in the body), every consumer run, the completion webhook
 * and a scheduled release. It is the API Gateway request id, or the caller's own `x-correlation-id`
 * when that is a valid one. Stored on the job record, so it is kept short.
 */

/** The request header a caller may set, and the API echoes. */
export const CORRELATION_HEADER = 'x-correlation-id';

/** The SQS message attribute that carries it (String). */
export const CORRELATION_ATTRIBUTE = 'correlationId';

/** At most 40 bytes: an API Gateway request id is 16, a UUID 36. */
export const MAX_CORRELATION_ID_LENGTH = 40;

/** The characters of a correlation id (with at most MAX_CORRELATION_ID_LENGTH of them). */
export const CORRELATION_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:=+/-]*$/;

/** Whether `value` can serve as a correlation id: 1–40 printable ASCII letters, digits and `._:=+/-`. */
export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_CORRELATION_ID_LENGTH && CORRELATION_ID_PATTERN.test(value);
}

/** The correlation id an SQS record of Lambda's event carries (`messageAttributes`), when it is a valid one. */
export function correlationIdOf(record: { readonly messageAttributes?: Readonly<Record<string, { readonly stringValue?: string }>> }): string | undefined {
  const value = record.messageAttributes?.[CORRELATION_ATTRIBUTE]?.stringValue;
  return isCorrelationId(value) ? value : undefined;
}
