import { fifoMaxReceiveCount, RECEIVES_PER_ATTEMPT, type JobDefinition } from './define.js';

/**
 * Queue settings derived from a job definition, in one place, for both the CDK constructs and the
 * local cloud. Each line says why.
 */
export function queueSettingsOf(definition: JobDefinition) {
  const { timeoutSeconds, batchingWindowSeconds, maxAttempts, batchSize, ordering } = definition.settings;
  const fifo = ordering === 'fifo';
  return {
    /** FIFO queue attributes for a FIFO type (absent for a standard one). */
    fifo: fifo ? fifoQueueSettings : undefined,
    // AWS: "set the source queue's visibility timeout to at least six times the function timeout,
    // plus the value of MaximumBatchingWindowInSeconds" — room for throttled retries of a batch.
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    visibilityTimeoutSeconds: 6 * timeoutSeconds + batchingWindowSeconds,
    // SQS default is 4 days; a job not run in 4 days has missed its point, and its DLQ copy is kept longer.
    retentionSeconds: 4 * 86_400,
    // The DLQ keeps messages for SQS's maximum, 14 days, longer than the source: retention counts from
    // the original enqueue, so a shorter DLQ retention could drop a message the moment it arrives.
    dlqRetentionSeconds: 14 * 86_400,
    // Attempts are counted on the job record and the worker hands a DEAD job's message to the DLQ
    // itself, so the redrive policy is only a safety net: for a message whose consumer dies before it
    // records anything (a crash or OOM kill within the lazy-RUNNING second), which the worker buries on
    // the last receive allowed here (RECEIVE_LIMIT). Generous, because receives that never ran the handler
    // count too: a Lambda throttled by the account's concurrency returns its batch unprocessed. AWS
    // advises a maxReceiveCount of at least 5 so throttling alone does not dead-letter a healthy message
    // (https://docs.aws.amazon.com/lambda/latest/dg/sqs-retries.html). Every attempt can meet throttling
    // again, and a throttling episode returns the message every visibility timeout, so allow 10 receives
    // per attempt (≤ 1,000, SQS's ceiling: maxAttempts ≤ 100); at 5 the chaos run with 40 % of invocations
    // throttled saw 2 healthy jobs in 2,000 reach the net. A poison message that kills its consumer within
    // the lazy-RUNNING second runs at most 10 × maxAttempts − 1 times, each after a visibility timeout.
    // FIFO: a message also comes back unrun when a job ahead of it in its batch and group fails (the
    // worker stops the group there, job-worker.ts); up to batchSize − 1 jobs are ahead of it in any batch,
    // each failing at most maxAttempts times, so each of those runs gets one more receive.
    maxReceiveCount: fifo ? fifoMaxReceiveCount(maxAttempts, batchSize) : RECEIVES_PER_ATTEMPT * maxAttempts,
  } as const;
}

/**
 * The API function's timeout: no request — an enqueue, an edit — runs longer, so a write it was going
 * to make has landed within this many seconds of its start, or never will.
 */
export const API_FUNCTION_TIMEOUT_SECONDS = 10;

/**
 * A FIFO job type's queue (and DLQ: a FIFO queue's DLQ must be FIFO too). Per-message delays do not
 * exist on FIFO queues (SendMessage: "You can't set DelaySeconds per message"), so a FIFO type refuses
 * `delaySeconds` and a future `runAt` at enqueue (functions/api/job-service.ts).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/FIFO-queues.html
 */
const fifoQueueSettings = {
  // Off: the body (`{jobId, type, generation}`) is not the identity of a send; the adapter sends
  // `<jobId>:<generation>` as MessageDeduplicationId, so a retried send of the same message within SQS's
  // 5-minute window is dropped (an SDK retry after a lost answer, a re-send of a stranded message), while a
  // selective retry (a new generation) is a new message.
  contentBasedDeduplication: false,
  // High-throughput FIFO: the throughput quota applies per message group (each group ≈ one partition),
  // not per queue. Groups default to the tenant, so a queue has many of them; deduplication per group is
  // enough because a job never changes group.
  // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/high-throughput-fifo.html
  deduplicationScope: 'messageGroup',
  fifoThroughputLimit: 'perMessageGroupId',
} as const;

/**
 * Resource names derived from stage and type, e.g. `conveyor-prod-email-dlq`; a FIFO type's end in
 * `.fifo`, as SQS requires (`conveyor-prod-ledger.fifo`, `conveyor-prod-ledger-dlq.fifo`).
 */
export function resourceNames(stage: string, type: string, ordering: 'standard' | 'fifo' = 'standard') {
  const queue = `conveyor-${stage}-${type}${ordering === 'fifo' ? FIFO_SUFFIX : ''}`;
  return { queue, dlq: deadLetterQueueName(queue) } as const;
}

/** SQS tells a FIFO queue by its name: "To determine whether a queue is FIFO, you can check whether the queue name ends with the suffix." */
export const FIFO_SUFFIX = '.fifo';

/** True for the name, URL or ARN of a FIFO queue. */
export function isFifoQueue(nameUrlOrArn: string): boolean {
  return nameUrlOrArn.endsWith(FIFO_SUFFIX);
}

/** A job type's DLQ is named after its (normal) queue, so a consumer finds it from its queue's URL. */
export function deadLetterQueueName(queueName: string): string {
  return isFifoQueue(queueName) ? `${queueName.slice(0, -FIFO_SUFFIX.length)}-dlq${FIFO_SUFFIX}` : `${queueName}-dlq`;
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
  return { table: `conveyor-${stage}-jobs`, documentBucket: `conveyor-${stage}-docs-${account}-${region}`, jobDataBucket: `conveyor-${stage}-jobdata-${account}-${region}` } as const;
}
