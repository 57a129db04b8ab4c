/**
 * Job outcome metrics: what became of each run of a job type, as counts and durations per type —
 * never per job (a dimension per job id would be a metric per job). The consumer records each
 * delivery's outcome where it decides it (functions/worker/job-worker.ts) and flushes once per batch.
 * On AWS the adapter writes CloudWatch embedded-metric-format lines (functions/adapters/aws/
 * emf-job-metrics.ts); the local cloud records nothing.
 */

/** The CloudWatch namespace of job metrics; dimensions are `service` (conveyor-<stage>) and `JobType`. */
export const JOB_METRICS_NAMESPACE = 'Conveyor';

/** Metric names, one per outcome or measure. */
export const JOB_METRIC_NAMES = {
  succeeded: 'JobsSucceeded',
  failed: 'JobsFailed',
  dead: 'JobsDead',
  expired: 'JobsExpired',
  retried: 'JobRetries',
  runDuration: 'JobRunDuration',
  queueWait: 'JobQueueWait',
} as const;

/** What one delivery of a job came to, for metrics. `other`: skipped, cancelled, deferred… (counted nowhere). */
export type JobRunOutcome = 'SUCCEEDED' | 'FAILED' | 'DEAD' | 'EXPIRED' | 'RETRYING' | 'OTHER';

export interface JobRunObservation {
  readonly type: string;
  readonly outcome: JobRunOutcome;
  /** From taking the record to recording its outcome. */
  readonly durationMs: number;
  /** From the message's first send to this run's start; first attempts only. */
  readonly queueWaitMs?: number;
}

export interface JobMetrics {
  record(observation: JobRunObservation): void;
  /** Writes what was recorded since the last flush (once per batch). */
  flush(): void;
}

/** Records nothing: the local cloud, and consumers built without metrics. */
export const noJobMetrics: JobMetrics = Object.freeze({ record: () => undefined, flush: () => undefined });
