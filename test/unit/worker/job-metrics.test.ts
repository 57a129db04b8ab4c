import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmfJobMetrics } from '../../../functions/adapters/aws/emf-job-metrics.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { PermanentJobError } from '../../../shared/domain/errors.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { JOB_METRIC_NAMES, type JobMetrics, type JobRunObservation } from '../../../shared/ports/job-metrics.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { analysisPayload, invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** Records what the worker reports, and how many times it flushed. */
class RecordingJobMetrics implements JobMetrics {
  readonly observations: JobRunObservation[] = [];
  flushes = 0;
  record(observation: JobRunObservation): void {
    this.observations.push(observation);
  }
  flush(): void {
    this.flushes += 1;
  }
}

/** Every line written to stdout while `act` runs (the EMF lines), parsed as JSON. */
function emfLinesOf(act: () => void): Record<string, unknown>[] {
  const written: string[] = [];
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    act();
  } finally {
    spy.mockRestore();
  }
  return written.join('').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('Class: EmfJobMetrics', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one embedded-metric-format line per flush: counts and durations per job type, no per-job dimension', () => {
    // Prepare
    const metrics = new EmfJobMetrics({ stage: 'prod' });
    metrics.record({ type: 'email', outcome: 'SUCCEEDED', durationMs: 120, queueWaitMs: 40 });
    metrics.record({ type: 'email', outcome: 'SUCCEEDED', durationMs: 80, queueWaitMs: 10 });
    metrics.record({ type: 'email', outcome: 'FAILED', durationMs: 30 });
    metrics.record({ type: 'email', outcome: 'RETRYING', durationMs: 50 });
    metrics.record({ type: 'email', outcome: 'OTHER', durationMs: 5 });

    // Act
    const lines = emfLinesOf(() => metrics.flush());

    // Assess
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    const aws = line._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
    expect(aws.CloudWatchMetrics).toHaveLength(1);
    expect(aws.CloudWatchMetrics[0]!.Namespace).toBe('Conveyor');
    expect(aws.CloudWatchMetrics[0]!.Dimensions).toEqual([['service', 'JobType']]);
    expect(line).toMatchObject({ service: 'conveyor-prod', JobType: 'email' });
    const units = Object.fromEntries(aws.CloudWatchMetrics[0]!.Metrics.map((m) => [m.Name, m.Unit]));
    expect(units).toMatchObject({ [JOB_METRIC_NAMES.succeeded]: 'Count', [JOB_METRIC_NAMES.failed]: 'Count', [JOB_METRIC_NAMES.retried]: 'Count', [JOB_METRIC_NAMES.runDuration]: 'Milliseconds', [JOB_METRIC_NAMES.queueWait]: 'Milliseconds' });
    expect(line[JOB_METRIC_NAMES.succeeded]).toBe(2);
    expect(line[JOB_METRIC_NAMES.failed]).toBe(1);
    expect(line[JOB_METRIC_NAMES.retried]).toBe(1);
    expect(line[JOB_METRIC_NAMES.dead]).toBeUndefined();
    expect(line[JOB_METRIC_NAMES.runDuration]).toEqual([120, 80, 30, 50, 5]);
    expect(line[JOB_METRIC_NAMES.queueWait]).toEqual([40, 10]);
    expect(JSON.stringify(line)).not.toMatch(/jobId|tenant/i);
  });

  it('writes nothing when nothing was recorded, and one line per job type', () => {
    // Prepare
    const metrics = new EmfJobMetrics({ stage: 'dev' });

    // Act
    const empty = emfLinesOf(() => metrics.flush());
    metrics.record({ type: 'pdf', outcome: 'DEAD', durationMs: 1 });
    metrics.record({ type: 'analysis', outcome: 'SUCCEEDED', durationMs: 1 });
    const two = emfLinesOf(() => metrics.flush());
    const again = emfLinesOf(() => metrics.flush());

    // Assess
    expect(empty).toEqual([]);
    expect(two.map((l) => [l.JobType, l[JOB_METRIC_NAMES.dead] ?? l[JOB_METRIC_NAMES.succeeded]])).toEqual([['pdf', 1], ['analysis', 1]]);
    expect(again).toEqual([]);
  });
});

describe('Class: JobWorker — outcome metrics', () => {
  it('records each delivery’s outcome with its duration and queue wait, and flushes once per batch', async () => {
    // Prepare: one job succeeds, one fails for good, one fails and will retry, one fails its last attempt
    let clock = 1_000_000;
    const store = new MemoryJobStore();
    const queue: ConsumerQueue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
    const metrics = new RecordingJobMetrics();
    const worker = new JobWorker(
      jobRegistry.analysis,
      async (payload) => {
        const toolId = (payload as { toolId: string }).toolId;
        clock += 25;
        if (toolId === 'permanent') throw new PermanentJobError('no');
        if (toolId === 'again') throw new Error('again');
        return { ok: true };
      },
      { store, queue, logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5, now: () => clock, metrics },
    );
    const ok = queuedJob();
    const failed = queuedJob({ payload: analysisPayload({ toolId: 'permanent' }) });
    const retried = queuedJob({ payload: analysisPayload({ toolId: 'again' }) });
    const dead = queuedJob({ status: 'RETRYING', attempt: jobRegistry.analysis.settings.maxAttempts - 1, payload: analysisPayload({ toolId: 'again' }) });
    for (const job of [ok, failed, retried, dead]) await store.create(job);
    const sentAt = { SentTimestamp: String(clock - 500) };
    const records = [
      sqsRecord(ok, 1, { attributes: { ApproximateReceiveCount: '1', ...sentAt } }),
      sqsRecord(failed, 1, { attributes: { ApproximateReceiveCount: '1', ...sentAt } }),
      sqsRecord(retried, 1, { attributes: { ApproximateReceiveCount: '1', ...sentAt } }),
      sqsRecord(dead, jobRegistry.analysis.settings.maxAttempts, { attributes: { ApproximateReceiveCount: String(jobRegistry.analysis.settings.maxAttempts), ...sentAt } }),
    ];

    // Act
    await worker.processBatch(sqsEvent(...records), invocation());

    // Assess
    expect(metrics.observations.map((o) => [o.type, o.outcome])).toEqual([
      ['analysis', 'SUCCEEDED'],
      ['analysis', 'FAILED'],
      ['analysis', 'RETRYING'],
      ['analysis', 'DEAD'],
    ]);
    for (const o of metrics.observations) expect(o.durationMs).toBeGreaterThanOrEqual(25);
    // Queue wait: from the message's send to the start of its first attempt only.
    expect(metrics.observations.map((o) => o.queueWaitMs)).toEqual([500, 500, 500, undefined]);
    expect(metrics.flushes).toBe(1);
  });

  it('counts a DEAD job once: a later hand-off of its message to the DLQ is not another outcome', async () => {
    // Prepare: the job went DEAD on receive 3; its message came back (the acknowledgement was lost)
    const clock = 10_000_000;
    const store = new MemoryJobStore();
    const queue: ConsumerQueue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
    const metrics = new RecordingJobMetrics();
    const worker = new JobWorker(jobRegistry.analysis, async () => 'never', { store, queue, logger: silentLogger, timeoutMarginMs: 1_000, now: () => clock, metrics });
    const job = queuedJob({ status: 'DEAD', attempt: 3, messageId: 'm-1', receiveCount: 3, finishedAt: new Date(clock - 600_000).toISOString() });
    await store.create(job);

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job, 4, { messageId: 'm-1', attributes: { ApproximateReceiveCount: '4', SentTimestamp: String(clock - 900_000) } })), invocation());

    // Assess
    expect(queue.deadLetter).toHaveBeenCalledOnce();
    expect(metrics.observations.map((o) => o.outcome)).toEqual(['OTHER']);
  });
});
