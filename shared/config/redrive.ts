/**
 * The redrive consumer's settings, shared by the CDK, the local cloud and the runner so all three
 * agree. Each value is derived from the function timeout.
 */
const TIMEOUT_SECONDS = 60;

export const REDRIVE_CONSUMER = {
  /** A run works until this is nearly spent, then hands the task on with a new nudge. */
  timeoutSeconds: TIMEOUT_SECONDS,
  /**
   * At least six times the function timeout, as Lambda asks of an SQS event source's queue
   * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html): a nudge that failed
   * or whose run died comes back after this.
   */
  visibilityTimeoutSeconds: 6 * TIMEOUT_SECONDS,
  /** A task's lease outlives any run (the timeout) with room for the clock skew of two functions. */
  leaseMs: (TIMEOUT_SECONDS + 30) * 1000,
  /** A task this still, its lease run out, lost its nudge: any nudge of it, or a new request, takes it over. */
  stallMs: 3 * TIMEOUT_SECONDS * 1000,
  /** Deliveries of one nudge before the redrive DLQ: a run that keeps failing on the same task stops there (alarmed). */
  maxReceiveCount: 5,
  /** One task is one queue's; a few queues may be redriven at once. */
  maxConcurrency: 2,
} as const;
