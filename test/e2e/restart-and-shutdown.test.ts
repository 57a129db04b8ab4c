import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobHandler } from '../../functions/worker/context.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

const dirs: string[] = [];
const clouds: ApiClient[] = [];

afterEach(async () => {
  for (const api of clouds.splice(0)) await api.cloud.stop();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-restart-'));
  dirs.push(dir);
  return dir;
}

async function boot(dir: string, analysis?: JobHandler<PayloadOf<'analysis'>>, shutdownGraceMs?: number): Promise<ApiClient> {
  const api = await bootLocalCloud({ dataDir: dir, ...(analysis ? { handlers: { analysis } } : {}), ...(shutdownGraceMs !== undefined ? { shutdownGraceMs } : {}) });
  clouds.push(api);
  return api;
}

async function stop(api: ApiClient): Promise<void> {
  clouds.splice(clouds.indexOf(api), 1);
  await api.cloud.stop();
}

const post = (api: ApiClient, toolId: string) => api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId }) } });

describe('E2E: the local cloud across a restart', () => {
  it('keeps queued jobs: they run after the restart', async () => {
    // Prepare: jobs accepted while no consumer polls, then the cloud stops.
    const dir = dataDir();
    const first = await boot(dir);
    await first.cloud.mappings.analysis.stop();
    const posted = await Promise.all([1, 2, 3].map((i) => post(first, `restart-${i}`)));
    await stop(first);

    // Act
    const second = await boot(dir);
    const jobs = await Promise.all(posted.map((p) => second.waitForStatus(p.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'])));

    // Assess
    expect(posted.every((p) => p.status === 202)).toBe(true);
    expect(jobs.map((j) => [j.status, j.attempt])).toEqual([['SUCCEEDED', 1], ['SUCCEEDED', 1], ['SUCCEEDED', 1]]);
  });

  it('lets jobs under way finish at stop', async () => {
    // Prepare: handlers that take a while and report progress.
    const dir = dataDir();
    let started = 0;
    const slow: JobHandler<PayloadOf<'analysis'>> = async (payload, ctx) => {
      started++;
      await ctx.progress(10);
      await new Promise((resolve) => setTimeout(resolve, 400));
      return { toolId: payload.toolId };
    };
    const first = await boot(dir, slow);
    const posted = await Promise.all([1, 2, 3, 4].map((i) => post(first, `finish-${i}`)));
    await Promise.all(posted.map((p) => first.waitForStatus(p.body.jobId, ['RUNNING', 'SUCCEEDED'])));

    // Act
    await stop(first);
    const second = await boot(dir);
    const jobs = await Promise.all(posted.map((p) => second.request('GET', `/v1/jobs/${p.body.jobId}`)));

    // Assess: every job finished on its first attempt, before the stop returned.
    expect(started).toBe(4);
    expect(jobs.map((j) => [j.body.status, j.body.attempt])).toEqual(Array(4).fill(['SUCCEEDED', 1]));
  });

  it('hands a job still running after the grace back to its queue; the restart reclaims and finishes it', async () => {
    // Prepare: the first run hangs well past the grace; later runs are quick.
    const dir = dataDir();
    let runs = 0;
    const hangsOnce: JobHandler<PayloadOf<'analysis'>> = async (payload, ctx) => {
      runs++;
      if (runs === 1) {
        await ctx.progress(10);
        await new Promise((resolve) => setTimeout(resolve, 3_000));
      }
      return { toolId: payload.toolId };
    };
    const first = await boot(dir, hangsOnce, 200);
    const posted = await post(first, 'hang');
    await first.waitForStatus(posted.body.jobId, ['RUNNING']);

    // Act
    await stop(first);
    const second = await boot(dir, hangsOnce);
    const job = await second.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess: not lost, not left RUNNING; the second delivery took it over as attempt 2.
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempt: 2 });
  });
});
