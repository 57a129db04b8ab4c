import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { JOB_METRIC_NAMES, JOB_METRICS_NAMESPACE, type JobMetrics, type JobRunObservation, type JobRunOutcome } from '../../../shared/ports/job-metrics.js';

/** The count each outcome adds to; `OTHER` (skipped, cancelled, deferred…) counts nowhere. */
const COUNTED: Partial<Record<JobRunOutcome, string>> = {
  SUCCEEDED: JOB_METRIC_NAMES.succeeded,
  FAILED: JOB_METRIC_NAMES.failed,
  DEAD: JOB_METRIC_NAMES.dead,
  EXPIRED: JOB_METRIC_NAMES.expired,
  RETRYING: JOB_METRIC_NAMES.retried,
};

/**
 * Job metrics as CloudWatch embedded metric format, through Powertools Metrics: one JSON line per
 * job type and flush on stdout, which Lambda sends to the function's log group and CloudWatch turns
 * into metrics — no PutMetricData call, no extra permission. Dimensions: `service`
 * (`conveyor-<stage>`) and `JobType`, nothing per job.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export class EmfJobMetrics implements JobMetrics {
  readonly #serviceName: string;
  readonly #byType = new Map<string, Metrics>();
  /** Counts per type since the last flush: one value per metric per line instead of a 1 per run. */
  readonly #counts = new Map<string, Map<string, number>>();

  constructor(options: { readonly stage: string }) {
    this.#serviceName = `conveyor-${options.stage}`;
  }

  record(observation: JobRunObservation): void {
    const metrics = this.#metricsOf(observation.type);
    const counts = this.#counts.get(observation.type) ?? new Map<string, number>();
    this.#counts.set(observation.type, counts);
    const counted = COUNTED[observation.outcome];
    if (counted) counts.set(counted, (counts.get(counted) ?? 0) + 1);
    metrics.addMetric(JOB_METRIC_NAMES.runDuration, MetricUnit.Milliseconds, observation.durationMs);
    if (observation.queueWaitMs !== undefined) metrics.addMetric(JOB_METRIC_NAMES.queueWait, MetricUnit.Milliseconds, observation.queueWaitMs);
  }

  flush(): void {
    for (const [type, counts] of this.#counts) {
      const metrics = this.#metricsOf(type);
      for (const [name, count] of counts) metrics.addMetric(name, MetricUnit.Count, count);
      metrics.publishStoredMetrics();
    }
    this.#counts.clear();
  }

  #metricsOf(type: string): Metrics {
    let metrics = this.#byType.get(type);
    if (!metrics) {
      metrics = new Metrics({ namespace: JOB_METRICS_NAMESPACE, serviceName: this.#serviceName, defaultDimensions: { JobType: type } });
      this.#byType.set(type, metrics);
    }
    return metrics;
  }
}
