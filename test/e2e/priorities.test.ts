import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB_TYPES, jobRegistry } from '../../shared/jobs/registry.js';
import { priorityConcurrency } from '../../shared/jobs/priority.js';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** Low jobs hold their slot until the high job has started (or 15 s pass): a flood that cannot drain by itself. */
let openGate: () => void = () => undefined;
const gate = new Promise<void>((resolve) => {
  openGate = resolve;
});
const started: { toolId: string; at: number }[] = [];
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({
    handlers: {
      analysis: async (payload) => {
        started.push({ toolId: payload.toolId, at: Date.now() });
        if (payload.toolId.startsWith('high')) openGate();
        else await Promise.race([gate, new Promise((resolve) => setTimeout(resolve, 15_000))]);
        return { toolId: payload.toolId };
      },
    },
  });
});

afterAll(async () => {
  openGate();
  await api?.cloud.stop();
});

describe('E2E: priorities', () => {
  it('starts a high job posted after a flood of low ones before the low backlog', async () => {
    // Prepare: flood the low queue, and wait until the low pool is busy with it.
    const floodSize = 120;
    const flood = await Promise.all(
      Array.from({ length: floodSize }, (_, i) => api.request('POST', '/v1/jobs', { body: { type: 'analysis', priority: 'low', payload: analysisPayload({ toolId: `low-${i}` }) } })),
    );
    const deadline = Date.now() + 15_000;
    while (!started.some((s) => s.toolId.startsWith('low-')) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));

    // Act
    const high = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', priority: 'high', payload: analysisPayload({ toolId: 'high-1' }) } });
    const highDone = await api.waitForStatus(high.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000);
    const lowDone: Record<string, unknown>[] = [];
    // One at a time: 120 parallel status pollers would load the 2-core machine for nothing.
    for (const p of flood) lowDone.push(await api.waitForStatus(p.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 60_000));

    // Assess
    expect(flood.every((p) => p.status === 202)).toBe(true);
    expect(highDone).toMatchObject({ status: 'SUCCEEDED', priority: 'high' });
    expect(lowDone.every((j) => j.status === 'SUCCEEDED')).toBe(true);
    const highAt = started.find((s) => s.toolId === 'high-1')!.at;
    const lowBeforeHigh = started.filter((s) => s.toolId.startsWith('low-') && s.at <= highAt).length;
    // At most what the low pool holds at once (its pollers × batch size) started first; the rest waited.
    const lowCapacity = priorityConcurrency(jobRegistry.analysis).low * jobRegistry.analysis.settings.batchSize;
    expect(lowBeforeHigh).toBeLessThanOrEqual(lowCapacity);
    expect(floodSize - lowBeforeHigh).toBeGreaterThanOrEqual(floodSize - lowCapacity);
  }, 120_000);

  it('routes by the payload’s own priority too (the analyze API sends it there), and shows it on the job', async () => {
    // Prepare
    const before = api.cloud.lanes['analysis:low']!.stats.records;

    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'payload-low', priority: 'low' }) } });
    const done = await api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 20_000);

    // Assess
    expect(done).toMatchObject({ status: 'SUCCEEDED', priority: 'low' });
    expect(api.cloud.lanes['analysis:low']!.stats.records).toBe(before + 1);
  });

  it('400 naming priority for a type without priorities, or one that disagrees with payload.priority; nothing is written', async () => {
    // Act
    const pdf = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', priority: 'high', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
    const disagreeing = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', priority: 'high', payload: analysisPayload({ priority: 'low' }) } });
    const batch = await api.request('POST', '/v1/jobs:batch', { body: { jobs: [{ type: 'email', priority: 'low', payload: { to: ['a@example.com'], template: 'welcome', data: { name: 'A', loginUrl: 'https://app.example.com' } } }] } });
    const listed = await api.request('GET', '/v1/jobs?type=pdf');

    // Assess
    expect(pdf.status).toBe(400);
    expect(pdf.body.error.issues).toContainEqual({ path: 'priority', message: 'job type "pdf" has no priorities (its definition does not set priorities: true)' });
    expect(disagreeing.status).toBe(400);
    expect(disagreeing.body.error.issues).toContainEqual(expect.objectContaining({ path: 'priority', message: expect.stringContaining('disagrees with payload.priority "low"') }));
    expect(batch.body.results[0].error.issues).toContainEqual(expect.objectContaining({ path: 'jobs.0.priority' }));
    expect(listed.body.jobs).toEqual([]);
  });

  it('400 naming payload.priority for an unknown priority', async () => {
    const response = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ priority: 'urgent' }) } });
    expect(response.status).toBe(400);
    expect(response.body.error.issues).toContainEqual(expect.objectContaining({ path: 'payload.priority' }));
  });

  it('routes each priority to its own queue and pool', () => {
    // analysis has a lane per priority; every other registered type one; plus the webhook and redrive queues.
    const others = JOB_TYPES.filter((type) => type !== 'analysis');
    expect(Object.keys(api.cloud.lanes).sort()).toEqual(['analysis', 'analysis:high', 'analysis:low', ...others, 'webhooks', 'redrive'].sort());
    expect(api.cloud.config.CONVEYOR_QUEUE_URLS['analysis:high']).toMatch(/conveyor-local-analysis-high$/);
  });
});
