import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/scheduler.js';
import { defineRecurringJob, recurringJobs } from '../../shared/jobs/recurring.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

// 07:59 in Berlin (CET, UTC+1) on the Saturday before the spring-forward Sunday.
const clock = new ManualClock(Date.parse('2026-03-28T06:59:00Z'));
const brief = defineRecurringJob({
  name: 'test-brief',
  description: 'a daily 08:00 Berlin job for the test',
  cron: '0 8 * * *',
  timeZone: 'Europe/Berlin',
  tenant: 'dev',
  request: { type: 'analysis', payload: analysisPayload({ toolId: 'daily-brief' }) },
});
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({ clock, recurringJobs: [brief] });
});

afterAll(async () => {
  await api?.cloud.stop();
});

async function runsAfter(count: number): Promise<readonly { name: string; scheduledAt: string; jobId: string }[]> {
  const deadline = Date.now() + 10_000;
  while (api.cloud.recurringRuns.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return api.cloud.recurringRuns;
}

describe('E2E: recurring (cron) jobs on the local scheduler', () => {
  it('runs at 08:00 local time, and again at 08:00 local on the 23-hour spring-forward day', async () => {
    // Act: just before 08:00 nothing runs.
    await api.cloud.scheduler.tick();
    const before = api.cloud.recurringRuns.length;
    clock.set(Date.parse('2026-03-28T07:00:05Z'));
    const [first] = await runsAfter(1);
    const firstJob = await api.waitForStatus(first!.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);
    // Sunday 07:59 CEST (UTC+2) is 05:59Z: not yet.
    clock.set(Date.parse('2026-03-29T05:59:00Z'));
    await api.cloud.scheduler.tick();
    const beforeSecond = api.cloud.recurringRuns.length;
    clock.set(Date.parse('2026-03-29T06:00:05Z'));
    const runs = await runsAfter(2);

    // Assess
    expect(before).toBe(0);
    expect(first).toMatchObject({ name: 'test-brief', scheduledAt: '2026-03-28T07:00:00.000Z' });
    expect(firstJob).toMatchObject({ status: 'SUCCEEDED', type: 'analysis' });
    expect(beforeSecond).toBe(1);
    expect(runs[1]).toMatchObject({ name: 'test-brief', scheduledAt: '2026-03-29T06:00:00.000Z' });
    expect(runs[1]!.jobId).not.toBe(first!.jobId);
  });

  it('lists the registry’s daily brief with its next run', async () => {
    const cloud = await bootLocalCloud({ clock: new ManualClock(Date.parse('2026-07-01T00:00:00Z')) });
    try {
      expect(recurringJobs.map((r) => [r.name, r.cron, r.timeZone])).toContainEqual(['daily-brief', '0 8 * * *', 'Europe/Berlin']);
      expect(cloud.cloud.notices).toContain('cron daily-brief: next run 2026-07-01T06:00:00.000Z, enqueued as tenant "system" (see its jobs with key cvk_local_system)');
    } finally {
      await cloud.cloud.stop();
    }
  });

  it('the registry’s recurring jobs run as tenant "system", whose local key sees them in the API', async () => {
    // Prepare: 07:59:30 in Berlin (CEST) on 1 July
    const summer = new ManualClock(Date.parse('2026-07-01T05:59:30Z'));
    const local = await bootLocalCloud({ clock: summer });
    try {
      // Act
      summer.set(Date.parse('2026-07-01T06:00:05Z'));
      await local.cloud.scheduler.tick();
      const [run] = local.cloud.recurringRuns;
      const asSystem = await local.request('GET', `/v1/jobs/${run!.jobId}`, { key: 'cvk_local_system' });
      const listed = await local.request('GET', '/v1/jobs?type=email', { key: 'cvk_local_system' });
      const asDev = await local.request('GET', `/v1/jobs/${run!.jobId}`);

      // Assess
      expect(run).toMatchObject({ name: 'daily-brief', scheduledAt: '2026-07-01T06:00:00.000Z' });
      expect(asSystem).toMatchObject({ status: 200, body: { jobId: run!.jobId, type: 'email' } });
      expect((listed.body.jobs as { jobId: string }[]).map((j) => j.jobId)).toContain(run!.jobId);
      expect(asDev.status).toBe(404);
    } finally {
      await local.cloud.stop();
    }
  });
});
