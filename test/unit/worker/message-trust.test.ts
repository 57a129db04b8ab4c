import { describe, expect, it, vi } from 'vitest';
import type { JobContext } from '../../../functions/worker/context.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { JsonLogger, silentLogger } from '../../../shared/logging/logger.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import type { JobDefinition } from '../../../shared/jobs/define.js';
import { analysisPayload, invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

function setup(definition: JobDefinition = jobRegistry.analysis) {
  const store = new MemoryJobStore();
  const lines: Record<string, unknown>[] = [];
  const logger = new JsonLogger({ level: 'info', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  const runs: { payload: unknown; ctx: JobContext }[] = [];
  const worker = new JobWorker(definition, async (payload: unknown, ctx: JobContext) => {
    runs.push({ payload, ctx });
    return 'ran';
  }, {
    store,
    followUps: new FollowUpFlusher({ store, logger: silentLogger }),
    queue: { send: vi.fn(), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) },
    logger,
    timeoutMarginMs: 1_000,
  });
  return { store, worker, runs, errors: () => lines.filter((l) => l.level === 'ERROR') };
}

/** A body as anyone with SendMessage on the queue could write it. */
const body = (fields: Record<string, unknown>) => JSON.stringify(fields);

describe('Class: JobWorker — the record is the truth, not the message', () => {
  it('runs a job with the tenant and payload of its record; the message only locates it', async () => {
    // Prepare
    const { store, worker, runs } = setup();
    const job = queuedJob({ tenant: 'acme', payload: analysisPayload({ toolId: 'from-the-record' }) });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1, { body: body({ jobId: job.jobId, type: 'analysis' }) })), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.payload).toMatchObject({ toolId: 'from-the-record' });
    expect(runs[0]!.ctx.tenant).toBe('acme');
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', result: 'ran' });
  });

  it.each([
    ['tenant', { tenant: 'attacker' }],
    ['payload.toolId', { tenant: 'other', payload: analysisPayload({ toolId: 'attacker-controlled' }) }],
    ['payload.url', { payload: analysisPayload({ url: 'https://attacker.example/' }) }],
  ])('refuses a message whose %s differs from the record: one error line, no run, acknowledged, record untouched', async (field, claims) => {
    // Prepare: another tenant's QUEUED job, and a message forged with its real id
    const { store, worker, runs, errors } = setup();
    const job = queuedJob({ tenant: 'other' });
    await store.create(job);
    const forged = sqsRecord(job, 1, { body: body({ jobId: job.jobId, type: 'analysis', ...claims }) });

    // Act
    const response = await worker.processBatch(sqsEvent(forged), invocation());

    // Assess
    expect(runs).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toEqual(job);
    expect(errors()).toHaveLength(1);
    expect(errors()[0]).toMatchObject({ jobId: job.jobId, field });
  });

  it('refuses a message that sends a job of another type to this consumer', async () => {
    // Prepare: an e-mail job's id, sent to the analysis queue as an analysis job
    const { store, worker, runs, errors } = setup(jobRegistry.analysis);
    const job = queuedJob({ type: 'email', payload: { to: ['victim@example.com'], template: 'welcome', data: {} } });
    await store.create(job);

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1, { body: body({ jobId: job.jobId, type: 'analysis' }) })), invocation());

    // Assess
    expect(runs).toHaveLength(0);
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toEqual(job);
    expect(errors()).toEqual([expect.objectContaining({ jobId: job.jobId, field: 'type' })]);
  });

  it('still runs a message in the old format whose tenant and payload agree with the record', async () => {
    // Prepare: a message sent before the format changed, still in the queue
    const { store, worker, runs, errors } = setup();
    const job = queuedJob();
    await store.create(job);
    const old = body({ jobId: job.jobId, type: 'analysis', tenant: job.tenant, payload: { ...(job.payload as object) }, enqueuedAt: Date.now() });

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1, { body: old })), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(runs).toHaveLength(1);
    expect(errors()).toEqual([]);
  });
});
