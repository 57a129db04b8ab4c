import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { atExpression, EventBridgeReleaseScheduler } from '../../../functions/adapters/aws/eventbridge-release-scheduler.js';
import { planRelease } from '../../../functions/scheduling/release-plan.js';
import { ScheduledJobReleaser } from '../../../functions/scheduling/release.js';
import { LocalScheduler, ManualClock } from '../../../local/scheduler.js';
import { DependencyUnavailableError, JobValidationError, ReleaseInProgressError } from '../../../shared/domain/errors.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { JsonLogger } from '../../../shared/logging/logger.js';
import { JobData, PAYLOAD_INLINE_BYTES } from '../../../functions/job-data/job-data.js';
import { analysisPayload, queuedJob } from '../../helpers/factories.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const logger = new JsonLogger({ level: 'silent' });
const schedulerMock = mockClient(SchedulerClient);

afterEach(() => {
  schedulerMock.reset();
});

describe('Function: planRelease', () => {
  const now = new Date('2026-11-23T12:00:00Z');
  it('maps delaySeconds and near runAt to an SQS delay, far runAt to a hold', () => {
    expect(planRelease({}, now)).toEqual({ kind: 'now' });
    expect(planRelease({ delaySeconds: 0 }, now)).toEqual({ kind: 'now' });
    expect(planRelease({ delaySeconds: 30 }, now)).toMatchObject({ kind: 'delay', delaySeconds: 30 });
    expect(planRelease({ runAt: '2026-11-23T12:15:00Z' }, now)).toMatchObject({ kind: 'delay', delaySeconds: 900 });
    expect(planRelease({ runAt: '2026-11-23T12:15:00.001Z' }, now)).toMatchObject({ kind: 'hold' });
    expect(planRelease({ runAt: '2026-11-23T13:00:00+01:00' }, now)).toEqual({ kind: 'now' });
    expect(planRelease({ runAt: '2026-11-23T11:59:30Z' }, now)).toEqual({ kind: 'now' });
  });
  it('rejects runAt in the past, too far ahead, or together with delaySeconds', () => {
    expect(() => planRelease({ runAt: '2026-11-23T11:58:00Z' }, now)).toThrow(JobValidationError);
    expect(() => planRelease({ runAt: '2028-01-01T00:00:00Z' }, now)).toThrow(JobValidationError);
    expect(() => planRelease({ runAt: '2026-11-24T00:00:00Z', delaySeconds: 1 }, now)).toThrow(JobValidationError);
  });
});

describe('Class: EventBridgeReleaseScheduler', () => {
  it('creates a one-time UTC schedule that deletes itself and invokes the release function with the job id', async () => {
    // Prepare
    schedulerMock.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:aws:scheduler:::schedule/g/job-1' });
    const scheduler = new EventBridgeReleaseScheduler({ client: new SchedulerClient({ region: 'us-east-1' }), groupName: 'conveyor-prod-jobs', targetArn: 'arn:aws:lambda:us-east-1:1:function:release', roleArn: 'arn:aws:iam::1:role/scheduler', deadLetterArn: 'arn:aws:sqs:us-east-1:1:conveyor-prod-schedule-dlq' });

    // Act
    await scheduler.scheduleRelease('job-1', new Date('2026-12-01T08:00:00.250Z'));

    // Assess
    expect(schedulerMock.commandCalls(CreateScheduleCommand)[0]?.args[0].input).toEqual({
      Name: 'job-job-1',
      GroupName: 'conveyor-prod-jobs',
      ScheduleExpression: 'at(2026-12-01T08:00:01)',
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:lambda:us-east-1:1:function:release',
        RoleArn: 'arn:aws:iam::1:role/scheduler',
        Input: '{"jobId":"job-1"}',
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:1:conveyor-prod-schedule-dlq' },
      },
    });
  });

  it('treats a schedule that already exists under the job\'s name as made (the sweep redoing a dead enqueue\'s work)', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new ConflictException({ message: 'Schedule job-j already exists.', $metadata: {} } as ConstructorParameters<typeof ConflictException>[0]));
    const scheduler = new EventBridgeReleaseScheduler({ client: new SchedulerClient({ region: 'us-east-1' }), groupName: 'g', targetArn: 'arn:t', roleArn: 'arn:r' });
    await expect(scheduler.scheduleRelease('j', new Date())).resolves.toBeUndefined();
  });

  it('reports a failed CreateSchedule as DependencyUnavailableError (the API answers 503, the record is discarded)', async () => {
    schedulerMock.on(CreateScheduleCommand).rejects(new Error('throttled'));
    const scheduler = new EventBridgeReleaseScheduler({ client: new SchedulerClient({ region: 'us-east-1' }), groupName: 'g', targetArn: 'arn:t', roleArn: 'arn:r' });
    await expect(scheduler.scheduleRelease('j', new Date())).rejects.toBeInstanceOf(DependencyUnavailableError);
  });

  it('writes whole seconds, never earlier than asked', () => {
    expect(atExpression(new Date('2026-03-29T01:30:00.000Z'))).toBe('at(2026-03-29T01:30:00)');
    expect(atExpression(new Date('2026-03-29T01:30:00.001Z'))).toBe('at(2026-03-29T01:30:01)');
  });
});

describe('Class: ScheduledJobReleaser', () => {
  it('sends a held job once, and skips one released already, cancelled or gone', async () => {
    // Prepare
    const store = new MemoryJobStore();
    const held = queuedJob({ sendPending: 'held', sweepAt: new Date().toISOString() });
    const cancelled = queuedJob({ status: 'CANCELLED' });
    await store.create(held);
    await store.create(cancelled);
    const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined) };
    const releaser = new ScheduledJobReleaser({ store, queue, logger });

    // Act: the schedule's invocation, a duplicate of it, and two that find nothing to release
    const outcomes = [await releaser.release(held.jobId), await releaser.release(held.jobId), await releaser.release(cancelled.jobId), await releaser.release('00000000-0000-4000-8000-000000000000')];

    // Assess
    expect(outcomes).toEqual(['released', 'skipped', 'skipped', 'skipped']);
    expect(queue.send).toHaveBeenCalledTimes(1);
    expect(queue.send).toHaveBeenCalledWith({ jobId: held.jobId, type: 'analysis', group: messageGroupIdOf(held.tenant) });
    expect(await store.get(held.jobId)).not.toHaveProperty('sendPending');
    expect(await store.get(held.jobId)).not.toHaveProperty('sweepAt');
  });

  it('throws while another invocation holds a live claim, and gives its claim back when the send fails', async () => {
    // Prepare
    const store = new MemoryJobStore();
    const busy = queuedJob({ sendPending: `claimed:${new Date().toISOString()}` });
    const held = queuedJob({ sendPending: 'held' });
    await store.create(busy);
    await store.create(held);
    const queue = { send: vi.fn(async () => { throw new DependencyUnavailableError('sqs', 'down'); }), changeVisibility: vi.fn(async () => undefined) };
    const releaser = new ScheduledJobReleaser({ store, queue, logger });

    // Act
    const whileClaimed = releaser.release(busy.jobId);
    const failedSend = releaser.release(held.jobId);

    // Assess: both throw, so the scheduler retries; the held job can still be released later
    await expect(whileClaimed).rejects.toBeInstanceOf(ReleaseInProgressError);
    await expect(failedSend).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await store.get(held.jobId)).toMatchObject({ sendPending: 'held' });
  });

  it('routes a job whose payload is stored apart to its priority lane, though the record holds no payload', async () => {
    // Prepare: a high-priority analysis with a payload past the inline limit, written as the API writes it
    const store = new MemoryJobStore();
    const jobData = new JobData({ blobs: new MemoryBlobStore(), logger, urlTtlSeconds: 300 });
    const job = await jobData.storePayload(queuedJob({ sendPending: 'held', payload: analysisPayload({ priority: 'high', description: 'd'.repeat(PAYLOAD_INLINE_BYTES) }) }));
    await store.create(job);
    const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined) };

    // Act
    await new ScheduledJobReleaser({ store, queue, logger }).release(job.jobId);

    // Assess
    expect(job.payloadRef).toBeDefined();
    expect(queue.send).toHaveBeenCalledWith(expect.objectContaining({ jobId: job.jobId, type: 'analysis', priority: 'high' }));
  });
});

describe('Class: LocalScheduler', () => {
  it('gives a release up after three failed invocations, to the failure destination, as Lambda does', async () => {
    // Prepare
    const clock = new ManualClock(Date.parse('2026-11-23T12:00:00Z'));
    const failed: string[] = [];
    const release = vi.fn(async () => {
      throw new Error('target down');
    });
    const scheduler = new LocalScheduler({ clock, logger, release, onReleaseFailed: async (jobId) => void failed.push(jobId) });
    await scheduler.scheduleRelease('job-f', new Date('2026-11-23T12:00:00Z'));

    // Act
    for (let i = 0; i < 6; i++) {
      await scheduler.tick();
      clock.advance(10_000);
    }

    // Assess
    expect(release).toHaveBeenCalledTimes(3);
    expect(failed).toEqual(['job-f']);
    expect(scheduler.pendingReleases).toEqual([]);
  });

  it('runs a periodic task once per period of its clock, once after a long sleep', async () => {
    const clock = new ManualClock(Date.parse('2026-11-23T12:00:00Z'));
    const scheduler = new LocalScheduler({ clock, logger, release: async () => undefined });
    const run = vi.fn(async () => undefined);
    scheduler.addPeriodic({ id: 'sweep', everyMs: 60_000, run });
    await scheduler.tick();
    clock.advance(60_000);
    await scheduler.tick();
    await scheduler.tick();
    clock.advance(3_600_000);
    await scheduler.tick();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('keeps held releases across a restart and retries a failed release with backoff', async () => {
    // Prepare
    const dir = mkdtempSync(join(tmpdir(), 'conveyor-sched-'));
    const storePath = join(dir, 'schedules.json');
    const clock = new ManualClock(Date.parse('2026-11-23T12:00:00Z'));
    const first = new LocalScheduler({ clock, logger, storePath, release: async () => undefined });
    await first.scheduleRelease('job-a', new Date('2026-11-23T13:00:00Z'));
    let calls = 0;
    const release = vi.fn(async () => {
      if (++calls === 1) throw new Error('queue down');
    });

    try {
      // Act: a new scheduler (a restart) reads the store.
      const second = new LocalScheduler({ clock, logger, storePath, release });
      clock.set(Date.parse('2026-11-23T12:59:59Z'));
      await second.tick();
      const beforeDue = release.mock.calls.length;
      clock.set(Date.parse('2026-11-23T13:00:00Z'));
      await second.tick();
      const afterFailure = second.pendingReleases;
      clock.advance(1_000);
      await second.tick();

      // Assess
      expect(beforeDue).toBe(0);
      expect(afterFailure).toEqual([{ jobId: 'job-a', at: new Date('2026-11-23T13:00:01Z') }]);
      expect(release).toHaveBeenCalledTimes(2);
      expect(second.pendingReleases).toEqual([]);
      expect(new LocalScheduler({ clock, logger, storePath, release }).pendingReleases).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
