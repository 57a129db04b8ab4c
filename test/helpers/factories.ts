import { randomUUID } from 'node:crypto';
import { newJobId } from '../../shared/domain/job-id.js';
import type { JobMessage, JobRecord } from '../../shared/domain/job.js';
import { messageOf } from '../../functions/api/job-service.js';
import { messageBody } from '../../functions/adapters/aws/sqs-job-queue.js';
import type { InvocationContext, SqsEventLike, SqsRecordLike } from '../../functions/worker/context.js';

export const analysisPayload = (overrides: Record<string, unknown> = {}) => ({
  toolId: 't-1',
  url: 'https://example.com/tool',
  description: 'A fast, reliable and simple API for developers. Deploy code in seconds. Developers love it!',
  ...overrides,
});

/** A QUEUED record; its id is a real job id of its tenant, created now (as the API issues them). */
export function queuedJob(overrides: Partial<JobRecord> = {}): JobRecord {
  const created = new Date();
  const now = created.toISOString();
  const tenant = overrides.tenant ?? 'tenant-a';
  return {
    jobId: newJobId(tenant, created),
    tenant,
    type: 'analysis',
    status: 'QUEUED',
    attempt: 0,
    maxAttempts: 3,
    progress: 0,
    payload: analysisPayload(),
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function messageFor(job: JobRecord): JobMessage {
  return messageOf(job);
}

export function sqsRecord(job: JobRecord, receiveCount = 1, overrides: Partial<SqsRecordLike> = {}): SqsRecordLike {
  return {
    messageId: randomUUID(),
    receiptHandle: `rh-${randomUUID()}`,
    body: messageBody(messageFor(job)),
    attributes: { ApproximateReceiveCount: String(receiveCount), SentTimestamp: String(Date.now()) },
    eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:conveyor-test-${job.type}`,
    ...overrides,
  };
}

/** The same message received again (a retry, or its lease ran out): same id and body, a new receipt handle and receive count. */
export function receivedAgain(record: SqsRecordLike, receiveCount: number): SqsRecordLike {
  return { ...record, receiptHandle: `rh-${randomUUID()}`, attributes: { ...record.attributes, ApproximateReceiveCount: String(receiveCount) } };
}

export function sqsEvent(...records: SqsRecordLike[]): SqsEventLike {
  return { Records: records };
}

export function invocation(remainingMs = 30_000): InvocationContext {
  const deadline = Date.now() + remainingMs;
  return { getRemainingTimeInMillis: () => deadline - Date.now(), awsRequestId: randomUUID() };
}
