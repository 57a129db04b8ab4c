import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { sendOnce } from '../../../functions/recovery/send-once.js';
import { RecoverySweep } from '../../../functions/recovery/sweep.js';
import { ScheduledJobReleaser } from '../../../functions/scheduling/release.js';
import type { WebhookDelivery } from '../../../functions/webhooks/delivery.js';
import { JobIdGenerator } from '../../../shared/domain/job-id.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import type { EnqueueRequest } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { ReleaseScheduler } from '../../../shared/ports/release-scheduler.js';
import { analysisPayload, queuedJob } from '../../helpers/factories.js';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemoryRecoveryIndex } from '../../helpers/memory-recovery-index.js';

const MINUTE = 60_000;
const never = new Promise<never>(() => undefined);

/** A world where time is a variable: the store, the index, a queue that records, a clock. */
function setup() {
  let now = Date.parse('2026-11-23T12:00:00.000Z');
  // Ids of this world's clock (the process-wide generator never goes back in time).
  const ids = new JobIdGenerator();
  const newJobId = (tenant: string, at: Date) => ids.next(tenant, at);
  const clock = { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
  const store = new MemoryJobStore();
  const index = new MemoryRecoveryIndex(store);
  const sent: { message: JobMessage; delaySeconds?: number }[] = [];
  const queue: JobQueue = { send: vi.fn(async (message: JobMessage, options?: { delaySeconds?: number }) => void sent.push({ message, ...options })), changeVisibility: vi.fn() };
  const webhooks: WebhookDelivery[] = [];
  const outbox = { enqueue: async (delivery: WebhookDelivery) => void webhooks.push(delivery) };
  const scheduled: string[] = [];
  const scheduler: ReleaseScheduler = { scheduleRelease: async (jobId) => void scheduled.push(jobId) };
  const idempotency = new MemoryIdempotencyStore();
  const sweep = () =>
    new RecoverySweep({ store, index, queue, scheduler, idempotency, followUps: new FollowUpFlusher({ store, outbox, logger: silentLogger }), logger: silentLogger, now: clock.now, hasQueue: (type) => type === 'analysis' });
  /** A JobService whose process dies at the send: the record is written, the message never is. */
  const dyingJobs = new JobService({ store, queue: { send: () => never, changeVisibility: vi.fn() }, logger: silentLogger, idempotency, scheduler: { scheduleRelease: () => never }, activity: index, now: clock.now, newJobId: (tenant) => newJobId(tenant, clock.now()) });
  /** The record an enqueue that died at its send left behind. */
  const enqueueThatDies = async (body: EnqueueRequest) => {
    void dyingJobs.enqueue('tenant-a', body);
    await new Promise((resolve) => setTimeout(resolve, 0));
    return [...store.jobs.values()].at(-1)!;
  };
  return { clock, store, index, sent, webhooks, scheduled, idempotency, sweep, enqueueThatDies, newJobId };
}

const request = (extra: Record<string, unknown> = {}) => ({ type: 'analysis', payload: analysisPayload(), ...extra }) as EnqueueRequest;

describe('Class: RecoverySweep', () => {
  it('sends, once, the message of a job whose enqueue died between the record and the send — after the grace, not before', async () => {
    // Prepare
    const { clock, store, sent, sweep, enqueueThatDies } = setup();
    const job = await enqueueThatDies(request());

    // Act
    clock.advance(2 * MINUTE);
    const early = await sweep().run();
    clock.advance(5 * MINUTE);
    const [first, second] = await Promise.all([sweep().run(), sweep().run()]);
    const later = await sweep().run();

    // Assess
    expect(job).toMatchObject({ status: 'QUEUED', sendPending: 'pending' });
    expect(early.sent).toBe(0);
    expect(first!.sent + second!.sent).toBe(1);
    expect(later.sent).toBe(0);
    expect(sent.map((s) => s.message.jobId)).toEqual([job.jobId]);
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('sendPending');
  });

  it('sends a grouped job whose enqueue died, late and with its group (it joins the end of the group; not FAILED: its message may exist, waiting behind its group)', async () => {
    // Prepare: the enqueue died before its send
    const { clock, store, sent, sweep, enqueueThatDies } = setup();
    const job = await enqueueThatDies(request({ groupKey: 'account-42' }));

    // Act
    clock.advance(6 * MINUTE);
    const report = await sweep().run();

    // Assess
    expect(report.sent).toBe(1);
    expect(sent.map((s) => [s.message.jobId, s.message.group])).toEqual([[job.jobId, messageGroupIdOf('tenant-a', 'account-42')]]);
    expect(store.jobs.get(job.jobId)).toMatchObject({ status: 'QUEUED' });
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('sendPending');
  });

  it('leaves alone a job whose message arrived: the consumer\'s first write removed the mark', async () => {
    // Prepare: an enqueue that sent, and a consumer that recorded the outcome
    const { clock, store, index, sent, sweep, newJobId } = setup();
    const jobs = new JobService({ store, queue: { send: async () => undefined, changeVisibility: vi.fn() }, logger: silentLogger, activity: index, now: clock.now, newJobId: (tenant) => newJobId(tenant, clock.now()) });
    const job = await jobs.enqueue('tenant-a', request());
    await store.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'SUCCEEDED', set: { attempt: 1, finishedAt: clock.now().toISOString() }, remove: ['sendPending'] });

    // Act
    clock.advance(30 * MINUTE);
    const report = await sweep().run();

    // Assess
    expect(job.sendPending).toBe('pending');
    expect(report).toMatchObject({ sent: 0, discarded: 0 });
    expect(sent).toEqual([]);
  });

  it('discards a keyed job whose enqueue answered 503 (its key released), and sends one whose writer died', async () => {
    // Prepare: two keyed records left pending; only the second's key still names it
    const { clock, store, index, idempotency, sent, sweep, newJobId } = setup();
    const answered = queuedJob({ sendPending: 'pending', idempotencyKey: 'k-503', jobId: newJobId('tenant-a', clock.now()) });
    const died = queuedJob({ sendPending: 'pending', idempotencyKey: 'k-died', jobId: newJobId('tenant-a', clock.now()) });
    await index.note('tenant-a', clock.now());
    for (const job of [answered, died]) await store.create(job);
    await idempotency.claim({ tenant: 'tenant-a', key: 'k-died', jobId: died.jobId, requestHash: 'h', state: 'PENDING', lockToken: 't', lockedUntil: clock.now().getTime() + 30_000, createdAt: clock.now().toISOString(), ttl: 2e9 });

    // Act
    clock.advance(10 * MINUTE);
    const report = await sweep().run();

    // Assess
    expect(report).toMatchObject({ discarded: 1, sent: 1 });
    expect(store.jobs.has(answered.jobId)).toBe(false);
    expect(sent.map((s) => s.message.jobId)).toEqual([died.jobId]);
  });

  it('makes again the schedule of a held job whose enqueue died before scheduling it, and confirms it', async () => {
    // Prepare
    const { clock, store, scheduled, sweep, enqueueThatDies } = setup();
    const job = await enqueueThatDies(request({ runAt: new Date(clock.now().getTime() + 3 * 3_600_000).toISOString() }));

    // Act
    clock.advance(10 * MINUTE);
    const report = await sweep().run();

    // Assess
    expect(report.scheduled).toBe(1);
    expect(scheduled).toEqual([job.jobId]);
    expect(store.jobs.get(job.jobId)).toMatchObject({ sendPending: 'held' });
  });

  it('releases a held job past its run time that no release sent, once', async () => {
    // Prepare: held, its schedule gone (the release failed on every attempt)
    const { clock, store, sent, sweep } = setup();
    const runAt = new Date(clock.now().getTime() + 60 * MINUTE);
    const job = queuedJob({ sendPending: 'held', runAt: runAt.toISOString(), sweepAt: new Date(runAt.getTime() + 5 * MINUTE).toISOString() });
    await store.create(job);

    // Act
    clock.advance(61 * MINUTE);
    const beforeGrace = await sweep().run();
    clock.advance(10 * MINUTE);
    const after = await sweep().run();
    const again = await sweep().run();

    // Assess
    expect(beforeGrace.sent).toBe(0);
    expect(after.sent).toBe(1);
    expect(again.sent).toBe(0);
    expect(sent.map((s) => s.message.jobId)).toEqual([job.jobId]);
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('sweepAt');
  });

  it('neither sends early nor loses a held job whose runAt an edit moved: the sweep entry moves with it, the old release is skipped', async () => {
    // Prepare: a job held for an hour, then edited to run in three hours (a schedule of the new generation)
    const { clock, store, index, sent, sweep, newJobId } = setup();
    const schedules: { jobId: string; runAt: string; generation: number }[] = [];
    const scheduler: ReleaseScheduler = { scheduleRelease: async (jobId, runAt, generation = 0) => void schedules.push({ jobId, runAt: runAt.toISOString(), generation }) };
    const jobs = new JobService({ store, queue: { send: vi.fn(), changeVisibility: vi.fn() }, logger: silentLogger, scheduler, activity: index, now: clock.now, newJobId: (tenant) => newJobId(tenant, clock.now()) });
    const job = await jobs.enqueue('tenant-a', request({ runAt: new Date(clock.now().getTime() + 60 * MINUTE).toISOString() }));
    const newRunAt = new Date(clock.now().getTime() + 180 * MINUTE);
    const edited = await jobs.edit('tenant-a', job.jobId, { runAt: newRunAt.toISOString() });
    const releaser = new ScheduledJobReleaser({ store, queue: { send: async (message) => void sent.push({ message }), changeVisibility: vi.fn() }, logger: silentLogger, now: clock.now });

    // Act: the old schedule fires at the old run time, the sweep runs past the old entry's time; later
    // the new schedule never fires (its retries exhausted), and the sweep runs past the new entry's time.
    clock.advance(60 * MINUTE);
    const oldRelease = await releaser.release(job.jobId, 0);
    clock.advance(15 * MINUTE);
    const early = await sweep().run();
    const recordBetween = store.jobs.get(job.jobId);
    clock.advance(111 * MINUTE);
    const late = await sweep().run();
    const again = await sweep().run();

    // Assess
    expect(schedules.map((s) => [s.runAt, s.generation])).toEqual([[job.runAt, 0], [newRunAt.toISOString(), edited!.generation]]);
    expect(oldRelease).toBe('skipped');
    expect(early.sent).toBe(0);
    expect(recordBetween).toMatchObject({ sendPending: 'held', runAt: newRunAt.toISOString(), sweepAt: new Date(newRunAt.getTime() + 5 * MINUTE).toISOString() });
    expect(late.sent).toBe(1);
    expect(again.sent).toBe(0);
    expect(sent.map((s) => [s.message.jobId, s.message.generation])).toEqual([[job.jobId, edited!.generation]]);
  });

  it('refuses the send of a sweep or release that read the job before an edit: the edit\'s own release sends it', async () => {
    // Prepare: a held job past its run time, read by a sender; then an edit moves it (new generation, held again)
    const { clock, store, sent } = setup();
    const runAt = new Date(clock.now().getTime() + 60 * MINUTE);
    const job = queuedJob({ sendPending: 'held', runAt: runAt.toISOString(), sweepAt: new Date(runAt.getTime() + 5 * MINUTE).toISOString() });
    await store.create(job);
    clock.advance(70 * MINUTE);
    const readBeforeEdit = store.jobs.get(job.jobId)!;
    await store.transition({ jobId: job.jobId, from: ['QUEUED'], to: 'QUEUED', expectAttempt: 0, expectGeneration: 0, set: { generation: 7, runAt: new Date(clock.now().getTime() + 60 * MINUTE).toISOString(), sendPending: 'held' } });
    const queue: JobQueue = { send: async (message) => void sent.push({ message }), changeVisibility: vi.fn() };

    // Act
    const stale = await sendOnce({ store, queue, logger: silentLogger, now: clock.now }, readBeforeEdit);
    const released = await new ScheduledJobReleaser({ store, queue, logger: silentLogger, now: clock.now }).release(job.jobId, 7);

    // Assess: no message of the old generation; the edit's release sent the current one
    expect(stale).toBe('busy');
    expect(released).toBe('released');
    expect(sent.map((s) => s.message.generation)).toEqual([7]);
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('sendPending');
  });

  it('queues a webhook its writer never flushed, once', async () => {
    // Prepare
    const { clock, store, webhooks, sweep } = setup();
    const finishedAt = clock.now().toISOString();
    const job = queuedJob({ status: 'SUCCEEDED', attempt: 1, finishedAt, callbackUrl: 'https://hooks.example.com/x', webhookPending: finishedAt, sweepAt: new Date(clock.now().getTime() + MINUTE).toISOString() });
    await store.create(job);

    // Act
    clock.advance(2 * MINUTE);
    const [first, second] = [await sweep().run(), await sweep().run()];

    // Assess
    expect(first.flushed).toBe(1);
    expect(second.flushed).toBe(0);
    expect(webhooks.map((w) => w.jobId)).toEqual([job.jobId]);
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('webhookPending');
  });

  it('keeps its watermark behind a job it could not settle, and settles it on a later run', async () => {
    // Prepare: the queue is down for the first run
    const { clock, store, index, sweep, enqueueThatDies } = setup();
    const job = await enqueueThatDies(request());
    clock.advance(10 * MINUTE);
    const downSweep = new RecoverySweep({ store, index, queue: { send: async () => Promise.reject(new Error('down')), changeVisibility: vi.fn() }, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, now: clock.now, hasQueue: () => true });

    // Act
    const failed = await downSweep.run();
    const watermark = await index.watermark('prompt');
    clock.advance(MINUTE);
    const recovered = await sweep().run();

    // Assess
    expect(failed).toMatchObject({ sent: 0, deferred: 1 });
    expect(watermark!.getTime()).toBeLessThanOrEqual(Date.parse(job.createdAt));
    expect(recovered.sent).toBe(1);
    expect(store.jobs.get(job.jobId)).not.toHaveProperty('sendPending');
  });
});
