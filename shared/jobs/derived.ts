import type { JobDefinition } from './define.js';

/**
 * Queue settings derived from a job definition, in one place, for both the CDK constructs and the
 * local cloud. Each line says why.
 */
export function queueSettingsOf(definition: JobDefinition) {
  const { timeoutSeconds, batchingWindowSeconds, maxAttempts } = definition.settings;
  return {
    // AWS: "set the source queue's visibility timeout to at least six times the function timeout,
    // plus the value of MaximumBatchingWindowInSeconds" — room for throttled retries of a batch.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    visibilityTimeoutSeconds: 6 * timeoutSeconds + batchingWindowSeconds,
    // SQS default is 4 days; a job not run in 4 days has missed its point, and its DLQ copy is kept longer.
    retentionSeconds: 4 * 86_400,
    // The DLQ keeps messages for SQS's maximum, 14 days, longer than the source: retention counts from
    // the original enqueue, so a shorter DLQ retention could drop a message the moment it arrives.
    dlqRetentionSeconds: 14 * 86_400,
    // A message is delivered maxReceiveCount times before redrive: one delivery per attempt, plus one
    // the consumer keeps for bookkeeping. If the last attempt's consumer dies (a crash, an OOM kill), its
    // message comes back once more; the worker then records the job DEAD (ATTEMPT_LOST) instead of
    // running it, and hands the message on to the DLQ. With maxReceiveCount = maxAttempts that last
    // redelivery would go straight to the DLQ and leave the record RUNNING forever.
    maxReceiveCount: maxAttempts + 1,
  } as const;
}

/** Resource names derived from stage and type, e.g. `conveyor-prod-email-dlq`. */
export function resourceNames(stage: string, type: string) {
  return { queue: `conveyor-${stage}-${type}`, dlq: `conveyor-${stage}-${type}-dlq` } as const;
}

/**
 * How a job type's consumer reads its queue (the SQS event source), for the CDK and the local poller.
 * Partial batch responses are always on: without them one failed record would send the whole batch
 * back, re-running the records that succeeded.
 */
export function eventSourceSettingsOf(definition: JobDefinition) {
  const { batchSize, batchingWindowSeconds, maxConcurrency } = definition.settings;
  return { batchSize, batchingWindowSeconds, maxConcurrency, reportBatchItemFailures: true } as const;
}

/**
 * Per-stage resource names that operator tools look up by name, e.g. `conveyor-prod-jobs`. S3 names
 * are global, so the document bucket's carries the account and region (≤ 63 characters for a stage
 * of ≤ 16 and any region).
 */
export function stageResourceNames(stage: string, account = '', region = '') {
  return { table: `conveyor-${stage}-jobs`, documentBucket: `conveyor-${stage}-docs-${account}-${region}` } as const;
}
