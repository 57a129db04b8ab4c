import type { MessageAttributeValue } from '@aws-sdk/client-sqs';
import { CORRELATION_ATTRIBUTE } from '../../../shared/domain/correlation.js';

/**
 * The correlation id as an SQS message attribute (a String), so it reaches the consumer beside the
 * body, as Lambda's SQS event shows it: `messageAttributes.correlationId.stringValue`.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html (example SQS event)
 */
export function correlationAttributes(correlationId: string | undefined): { MessageAttributes?: Record<string, MessageAttributeValue> } {
  if (correlationId === undefined) return {};
  return { MessageAttributes: { [CORRELATION_ATTRIBUTE]: { DataType: 'String', StringValue: correlationId } } };
}

/** A message split into what goes in the body and the correlation id that goes beside it. */
export function splitCorrelation<T extends { readonly correlationId?: string }>(message: T): { body: Omit<T, 'correlationId'>; correlationId: string | undefined } {
  const { correlationId, ...body } = message;
  return { body, correlationId };
}
