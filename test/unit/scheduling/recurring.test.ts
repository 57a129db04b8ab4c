import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import { RecurringJobRunner } from '../../../functions/scheduling/recurring.js';
import { ScheduledJobReleaser } from '../../../functions/scheduling/release.js';
import { schedulerTarget } from '../../../functions/scheduling/scheduler-target.js';
import { defineRecurringJob, recurringJobs, requestFor } from '../../../shared/jobs/recurring.js';
import { JsonLogger } from '../../../shared/logging/logger.js';
import { analysisPayload } from '../../helpers/factories.js';
import { MemoryIdempotencyStore } from '../../helpers/memory-idempotency-store.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const logger = new JsonLogger({ level: 'silent' });
const brief = defineRecurringJob({ name: 'brief', description: 'd', cron: '0 8 * * *', timeZone: 'Europe/Berlin', tenant: 't', request: { type: 'analysis', payload: analysisPayload() } });

function setup() {
  const store = new MemoryJobStore();
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined) };
  const jobs = new JobService({ store, queue, logger, idempotency: new MemoryIdempotencyStore() });
  const recurring = new RecurringJobRunner({ jobs, definitions: [brief], logger });
  const releaser = new ScheduledJobReleaser({ store, queue, logger });
  return { store, queue, recurring, handler: schedulerTarget({ releaser, recurring }) };
}

describe('Class: RecurringJobRunner', () => {
  it('enqueues one job per occurrence, even when the scheduler delivers an occurrence twice', async () => {
    // Prepare
    const { queue, handler } = setup();

    // Act
    const first = await handler({ recurring: 'brief', scheduledAt: '2026-03-29T06:00:00Z' });
    const retried = await handler({ recurring: 'brief', scheduledAt: '2026-03-29T06:00:00.000Z' });
    const nextDay = await handler({ recurring: 'brief', scheduledAt: '2026-03-30T06:00:00Z' });

    // Assess
    expect(first).toMatchObject({ outcome: 'enqueued', replayed: false });
    expect(retried).toMatchObject({ outcome: 'enqueued', replayed: true, jobId: first.jobId });
    expect(nextDay.jobId).not.toBe(first.jobId);
    expect(queue.send).toHaveBeenCalledTimes(2);
  });

  it('rejects an unknown schedule or event so the scheduler retries and alarms', async () => {
    const { handler } = setup();
    await expect(handler({ recurring: 'nope', scheduledAt: '2026-03-29T06:00:00Z' })).rejects.toThrow(/no recurring job/);
    await expect(handler({} as never)).rejects.toThrow(/unrecognised event/);
  });
});

describe('Function: requestFor', () => {
  it('builds the daily brief for the local date of its occurrence', () => {
    const brief = recurringJobs.find((r) => r.name === 'daily-brief')!;
    // 23:30Z on the 28th is already the 29th in Berlin.
    expect(requestFor(brief, new Date('2026-03-28T23:30:00Z'))).toMatchObject({ type: 'email', payload: { template: 'daily-digest', data: { date: '2026-03-29' } } });
  });
});

describe('Function: defineRecurringJob', () => {
  it('fails at import naming the entry', () => {
    const base = { description: 'd', cron: '0 8 * * *', timeZone: 'UTC', tenant: 't', request: { type: 'analysis' as const, payload: analysisPayload() } };
    expect(() => defineRecurringJob({ ...base, name: 'Bad Name' })).toThrow(/name must be/);
    expect(() => defineRecurringJob({ ...base, name: 'x', cron: '0 25 * * *' })).toThrow(/outside 0–23/);
    expect(() => defineRecurringJob({ ...base, name: 'x', timeZone: 'Nowhere/City' })).toThrow(/time zone/);
    expect(() => defineRecurringJob({ ...base, name: 'x', request: { type: 'analysis', payload: { toolId: 1 } } as never })).toThrow(/invalid request/);
  });
});
