import { describe, expect, it, vi } from 'vitest';
import { JobData, PAYLOAD_INLINE_BYTES, RESULT_INLINE_BYTES, StoredDataMissingError } from '../../../functions/job-data/job-data.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { jobDataKey } from '../../../shared/ports/blob-store.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { PRICES } from '../../../bench/cost/prices.js';
import { analysisPayload, invocation, queuedJob, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const large = () => analysisPayload({ description: 'y'.repeat(PAYLOAD_INLINE_BYTES * 2) });

function setup() {
  const blobs = new MemoryBlobStore();
  return { blobs, jobData: new JobData({ blobs, logger: silentLogger, urlTtlSeconds: 300 }) };
}

describe('Class: JobData', () => {
  it('never reads an object through a record of another tenant, even with the same job id and digest', async () => {
    // Prepare: tenant-a's stored payload
    const { jobData, blobs } = setup();
    const stored = await jobData.storePayload(queuedJob({ tenant: 'tenant-a', payload: large() }));
    expect(blobs.objects.size).toBe(1);

    // Act: a record of tenant-b carrying tenant-a's reference
    const attempt = jobData.loadPayload({ ...stored, tenant: 'tenant-b' });

    // Assess: the key is built from tenant-b, where nothing is
    await expect(attempt).rejects.toBeInstanceOf(StoredDataMissingError);
    await expect(attempt).rejects.toMatchObject({ code: 'PAYLOAD_MISSING' });
    expect(await jobData.loadPayload(stored)).toEqual(large());
  });

  it('keeps the priority a job was enqueued with when its payload goes apart (its message is routed by it)', async () => {
    // Prepare: `priority` given as the enqueue option, not inside the payload
    const { jobData } = setup();
    const payload = large();
    expect(payload).not.toHaveProperty('priority');

    // Act
    const stored = await jobData.storePayload(queuedJob({ type: 'analysis', payload, priority: 'high' }));
    const fromPayload = await jobData.storePayload(queuedJob({ type: 'analysis', payload: { ...payload, priority: 'low' } }));

    // Assess
    expect(stored).toMatchObject({ priority: 'high', payload: undefined });
    expect(fromPayload).toMatchObject({ priority: 'low', payload: undefined });
  });

  it('refuses an object that does not match its recorded digest', async () => {
    // Prepare
    const { jobData, blobs } = setup();
    const stored = await jobData.storePayload(queuedJob({ payload: large() }));
    const key = [...blobs.objects.keys()][0]!;
    blobs.objects.set(key, { body: Buffer.from(JSON.stringify(analysisPayload({ description: 'z'.repeat(PAYLOAD_INLINE_BYTES * 2) }))), contentType: 'application/json' });

    // Act + Assess
    await expect(jobData.loadPayload(stored)).rejects.toMatchObject({ code: 'PAYLOAD_MISSING' });
  });

  it('builds keys only from a job id and a digest of the right shape', () => {
    // Assess
    expect(() => jobDataKey('t', '../../other', 'payload', 'a'.repeat(64))).toThrow(RangeError);
    expect(() => jobDataKey('t', '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'payload', '../x')).toThrow(RangeError);
    expect(jobDataKey('a/b', '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 'result', 'a'.repeat(64))).toBe(`tenants/a%2Fb/jobs/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/result-${'a'.repeat(64)}.json`);
  });

  it('answers an upload failure as the store being unavailable (the API answers 503)', async () => {
    // Prepare
    const { jobData, blobs } = setup();
    blobs.put = async () => {
      throw new Error('S3 down');
    };

    // Act + Assess
    await expect(jobData.storePayload(queuedJob({ payload: large() }))).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});

describe('Function: the inline limits against the prices', () => {
  it('sets the payload limit between the break-even sizes at 2 and 3 writes a job, and the result limit at one write', () => {
    // Prepare: what storing apart costs (a PUT, a GET) in write units of 1 KB each
    const apart = PRICES.s3Put.usd + PRICES.s3Get.usd;
    const breakEvenKb = (writes: number) => apart / (PRICES.dynamoWriteUnit.usd * writes);

    // Assess
    expect(PAYLOAD_INLINE_BYTES / 1024).toBeLessThanOrEqual(breakEvenKb(2));
    expect(PAYLOAD_INLINE_BYTES / 1024).toBeGreaterThanOrEqual(breakEvenKb(3));
    expect(RESULT_INLINE_BYTES / 1024).toBeCloseTo(PRICES.s3Put.usd / PRICES.dynamoWriteUnit.usd, 0);
  });
});

describe('Class: JobWorker with stored payloads', () => {
  function worker(jobData: JobData) {
    const store = new MemoryJobStore();
    const queue: ConsumerQueue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
    const handler = vi.fn(async (payload: unknown) => ({ length: (payload as { description: string }).description.length }));
    return { store, handler, worker: new JobWorker(jobRegistry.analysis, handler, { store, queue, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 1_000, jobData }) };
  }

  it('fails a job at once, without running it, when its stored payload is gone', async () => {
    // Prepare
    const { jobData, blobs } = setup();
    const { store, handler, worker: subject } = worker(jobData);
    const job = await jobData.storePayload(queuedJob({ payload: large() }));
    await store.create(job);
    blobs.objects.clear();

    // Act
    const response = await subject.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess: acknowledged, FAILED with PAYLOAD_MISSING, the handler never called
    expect(response.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'PAYLOAD_MISSING' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('leaves the message for redelivery, spending no attempt, when S3 cannot be read', async () => {
    // Prepare
    const { jobData, blobs } = setup();
    const { store, handler, worker: subject } = worker(jobData);
    const job = await jobData.storePayload(queuedJob({ payload: large() }));
    await store.create(job);
    blobs.get = async () => {
      throw new DependencyUnavailableError('s3', 'unreachable');
    };

    // Act
    const response = await subject.processBatch(sqsEvent(sqsRecord(job)), invocation());

    // Assess
    expect(response.batchItemFailures).toHaveLength(1);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'QUEUED', attempt: 0 });
    expect(handler).not.toHaveBeenCalled();
  });

  it('gives the handler the stored payload and stores a large result apart', async () => {
    // Prepare
    const { jobData, blobs } = setup();
    const { store, worker: subject } = worker(jobData);
    const job = await jobData.storePayload(queuedJob({ payload: large() }));
    await store.create(job);
    const big = new JobWorker(jobRegistry.analysis, async () => ({ blob: 'r'.repeat(RESULT_INLINE_BYTES) }), { store, queue: { send: vi.fn(), changeVisibility: vi.fn(), deadLetter: vi.fn() }, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 1_000, jobData });
    const second = await jobData.storePayload(queuedJob({ payload: large() }));
    await store.create(second);

    // Act
    await subject.processBatch(sqsEvent(sqsRecord(job)), invocation());
    await big.processBatch(sqsEvent(sqsRecord(second)), invocation());

    // Assess
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', result: { length: PAYLOAD_INLINE_BYTES * 2 } });
    const stored = await store.get(second.jobId);
    expect(stored).toMatchObject({ status: 'SUCCEEDED', resultRef: { bytes: RESULT_INLINE_BYTES + 11 } });
    expect(stored?.result).toBeUndefined();
    expect([...blobs.objects.keys()].filter((k) => k.includes('/result-'))).toHaveLength(1);
  });
});
