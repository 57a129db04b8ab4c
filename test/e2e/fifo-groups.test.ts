import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type * as AnalysisModule from '../../shared/jobs/analysis.js';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import { RetryableJobError } from '../../shared/domain/errors.js';
import { jobRegistry } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

// The analysis type as a FIFO type, for this file only (test/helpers/fifo-variant.ts says why).
vi.mock('../../shared/jobs/analysis.js', async (importOriginal) => {
  const real = await importOriginal<typeof AnalysisModule>();
  const { fifoVariantOf } = await import('../helpers/fifo-variant.js');
  return { ...real, analysisJob: fifoVariantOf(real.analysisJob, { backoff: { baseSeconds: 1, maxSeconds: 1 } }) };
});

/**
 * FIFO job types end to end: jobs of one group run one at a time in enqueue order, groups (by default,
 * tenants) run side by side, a failing job holds its group until it succeeds or is DEAD. Observed through
 * a wrapped handler's start and end events, in the order they happened — never their times.
 */

interface RunEvent {
  readonly kind: 'start' | 'end';
  readonly toolId: string;
  readonly group: string;
  readonly attempt: number;
}

const events: RunEvent[] = [];
/** Jobs that fail their first attempt, and jobs that fail every attempt while listed. */
const failOnce = new Set<string>();
const failAlways = new Set<string>();
/** Handlers wait on these by toolId prefix (a gate per test). */
const gates = new Map<string, Promise<void>>();
/** The lane's invocation count when each job's handler started. */
const invocationsAtStart = new Map<string, number>();
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({
    handlers: {
      analysis: async (payload, ctx) => {
        const group = ctx.groupKey ?? `tenant:${ctx.tenant}`;
        invocationsAtStart.set(payload.toolId, api.cloud.lanes.analysis!.stats.invocations);
        events.push({ kind: 'start', toolId: payload.toolId, group, attempt: ctx.attempt });
        try {
          const gate = gates.get(payload.toolId) ?? gates.get(payload.toolId.replace(/-\d+$/, ''));
          if (gate) await gate;
          // Yield before ending: a run started beside this one would show up between its start and end.
          await new Promise((resolve) => setTimeout(resolve, 2));
          if (failAlways.has(payload.toolId) || (failOnce.has(payload.toolId) && ctx.attempt === 1)) throw new RetryableJobError('injected failure');
          return { toolId: payload.toolId };
        } finally {
          events.push({ kind: 'end', toolId: payload.toolId, group, attempt: ctx.attempt });
        }
      },
    },
  });
});

afterAll(async () => {
  await api?.cloud.stop();
});

const post = (toolId: string, extra: Record<string, unknown> = {}, key?: string) =>
  api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId }), ...extra }, ...(key ? { key } : {}) });

/** A group's runs as `toolId#attempt`, and whether they alternate start/end (none overlapping). */
function runsOf(group: string): { starts: string[]; oneAtATime: boolean } {
  const mine = events.filter((e) => e.group === group);
  const oneAtATime = mine.every((e, i) => (i % 2 === 0 ? e.kind === 'start' : e.kind === 'end' && e.toolId === mine[i - 1]!.toolId));
  return { starts: mine.filter((e) => e.kind === 'start').map((e) => `${e.toolId}#${e.attempt}`), oneAtATime };
}

function gate(prefix: string): () => void {
  let open: () => void = () => undefined;
  gates.set(prefix, new Promise<void>((resolve) => (open = resolve)));
  return open;
}

describe('E2E: FIFO job types — groups run in order, one at a time', () => {
  it('runs on one FIFO queue with a FIFO DLQ and no priority lanes', () => {
    expect(jobRegistry.analysis.settings.ordering).toBe('fifo');
    expect(Object.keys(api.cloud.lanes).filter((lane) => lane.startsWith('analysis'))).toEqual(['analysis']);
    expect(api.cloud.queues.analysis.url).toMatch(/conveyor-local-analysis\.fifo$/);
    expect(api.cloud.queues.analysis.dlqUrl).toMatch(/conveyor-local-analysis-dlq\.fifo$/);
  });

  it('runs a group\'s jobs strictly in enqueue order and one at a time; a retrying job holds the group until it succeeds', async () => {
    // Prepare: 20 jobs of one group, the 7th failing its first attempt
    const ids = Array.from({ length: 20 }, (_, i) => `order-${i}`);
    failOnce.add('order-6');

    // Act: enqueued one after another (each POST answered before the next)
    const jobIds: string[] = [];
    for (const toolId of ids) jobIds.push((await post(toolId, { groupKey: 'account-1' })).body.jobId);
    const done = await Promise.all(jobIds.map((id) => api.waitForStatus(id, ['SUCCEEDED', 'FAILED', 'DEAD'], 60_000)));

    // Assess: every start after the previous run's end, in enqueue order, the retry before the next job
    expect(done.every((j) => j.status === 'SUCCEEDED' && j.groupKey === 'account-1')).toBe(true);
    const { starts, oneAtATime } = runsOf('account-1');
    expect(starts).toEqual([...ids.slice(0, 7).map((id) => `${id}#1`), 'order-6#2', ...ids.slice(7).map((id) => `${id}#1`)]);
    expect(oneAtATime).toBe(true);
    expect(api.cloud.lanes.analysis!.stats.fifoOrderBreaks).toBe(0);
  }, 120_000);

  it('runs different groups side by side: group x\'s job waits until group y\'s has started', async () => {
    // Prepare: x waits for y; if groups were run one after another, y could not start while x waits
    const yStarted = gate('side-x');
    const tenantsMet = gate('tenant-dev');

    // Act: two groupKeys of one tenant, then two tenants' default groups
    const x = await post('side-x', { groupKey: 'x' });
    const y = await post('side-y', { groupKey: 'y' });
    const dev = await post('tenant-dev');
    const other = await post('tenant-other', {}, LOCAL_API_KEYS[1]!.key);
    await eventually(async () => (events.some((e) => e.kind === 'start' && e.toolId === 'side-y') ? true : undefined), 30_000, 'group y to start');
    yStarted();
    await eventually(async () => (events.some((e) => e.kind === 'start' && e.toolId === 'tenant-other') ? true : undefined), 30_000, 'tenant other to start');
    tenantsMet();
    const done = await Promise.all([api.waitForStatus(x.body.jobId, ['SUCCEEDED']), api.waitForStatus(y.body.jobId, ['SUCCEEDED']), api.waitForStatus(dev.body.jobId, ['SUCCEEDED']), api.waitForStatus(other.body.jobId, ['SUCCEEDED'], 15_000, LOCAL_API_KEYS[1]!.key)]);

    // Assess: y started (and ended) while x was running; the same for the two tenants' default groups
    const at = (kind: RunEvent['kind'], toolId: string) => events.findIndex((e) => e.kind === kind && e.toolId === toolId);
    expect(done.every((j) => j.status === 'SUCCEEDED')).toBe(true);
    expect(at('start', 'side-x')).toBeLessThan(at('start', 'side-y'));
    expect(at('start', 'side-y')).toBeLessThan(at('end', 'side-x'));
    expect(at('start', 'tenant-dev')).toBeLessThan(at('start', 'tenant-other'));
    expect(at('start', 'tenant-other')).toBeLessThan(at('end', 'tenant-dev'));
  }, 60_000);

  it('holds a group behind a failing job until it is DEAD, hands it to the FIFO DLQ, and redrives it', async () => {
    // Prepare: the group's first job fails every attempt; the second waits behind it
    failAlways.add('dead-0');

    // Act
    const first = await post('dead-0', { groupKey: 'account-dead' });
    const second = await post('dead-1', { groupKey: 'account-dead' });
    const dead = await api.waitForStatus(first.body.jobId, ['DEAD'], 60_000);
    const next = await api.waitForStatus(second.body.jobId, ['SUCCEEDED'], 60_000);
    const dlq = await eventually(async () => {
      const { body } = await api.request('GET', '/v1/queues/analysis/dlq');
      return body.dlq.visible === 1 ? body : undefined;
    }, 20_000, 'the dead letter in the FIFO DLQ');
    failAlways.delete('dead-0');
    const redrive = await api.request('POST', '/v1/queues/analysis/redrive');
    const redriven = await api.waitForStatus(first.body.jobId, ['SUCCEEDED'], 60_000);

    // Assess: all three attempts ran before the next job; the redriven job ran once more
    expect(dead).toMatchObject({ attempt: 3, error: { code: 'RETRYABLE_FAILURE' } });
    expect(next.status).toBe('SUCCEEDED');
    expect(dlq.jobs).toEqual([expect.objectContaining({ jobId: first.body.jobId })]);
    expect(redrive.status).toBe(202);
    expect(redriven).toMatchObject({ status: 'SUCCEEDED', attempt: 1, redriveCount: 1 });
    const { starts, oneAtATime } = runsOf('account-dead');
    expect(starts).toEqual(['dead-0#1', 'dead-0#2', 'dead-0#3', 'dead-1#1', 'dead-0#1']);
    expect(oneAtATime).toBe(true);
  }, 120_000);

  it('refuses to edit a waiting job of a FIFO type (409 JOB_ORDERED): its message keeps its place in the group, and it runs once, unchanged', async () => {
    // Prepare: the group's first job holds the group (gated), so the second waits QUEUED behind it
    const open = gate('edit-0');
    const first = await post('edit-0', { groupKey: 'account-edit' });
    const second = await post('edit-1', { groupKey: 'account-edit' });
    await eventually(async () => (events.some((e) => e.kind === 'start' && e.toolId === 'edit-0') ? true : undefined), 30_000, 'the first job to start');

    // Act: edit the waiting job's payload, and its runAt
    const payloadEdit = await api.request('PATCH', `/v1/jobs/${second.body.jobId}`, { body: { payload: analysisPayload({ toolId: 'edit-1-edited' }) } });
    const runAtEdit = await api.request('PATCH', `/v1/jobs/${second.body.jobId}`, { body: { runAt: new Date(Date.now() + 3_600_000).toISOString() } });
    open();
    const done = await Promise.all([api.waitForStatus(first.body.jobId, ['SUCCEEDED']), api.waitForStatus(second.body.jobId, ['SUCCEEDED'])]);

    // Assess: both refused naming the code; the job ran once, with its original payload, after the first
    for (const response of [payloadEdit, runAtEdit]) expect(response).toMatchObject({ status: 409, body: { error: { code: 'JOB_ORDERED' } } });
    expect(done.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(done[1]).toMatchObject({ attempt: 1, payload: { toolId: 'edit-1' } });
    const { starts, oneAtATime } = runsOf('account-edit');
    expect(starts).toEqual(['edit-0#1', 'edit-1#1']);
    expect(oneAtATime).toBe(true);
  }, 60_000);

  it('runs another group\'s job within a batch of a 1,000-job flood of one group; the flood runs in its order', async () => {
    // Prepare: the flood's jobs wait until the lone job has been enqueued, so its backlog is there by construction
    const open = gate('flood');
    const flood = Array.from({ length: 1_000 }, (_, i) => `flood-${i}`);
    for (let from = 0; from < flood.length; from += 100) {
      const jobs = flood.slice(from, from + 100).map((toolId) => ({ type: 'analysis', payload: analysisPayload({ toolId }), groupKey: 'bulk' }));
      expect((await api.request('POST', '/v1/jobs:batch', { body: { jobs } })).body.accepted).toBe(100);
    }

    // Act
    const lone = await post('lone', { groupKey: 'interactive' });
    const lane = api.cloud.lanes.analysis!;
    const invocationsAtEnqueue = lane.stats.invocations;
    const floodStartedAtEnqueue = runsOf('bulk').starts.length;
    open();
    await api.waitForStatus(lone.body.jobId, ['SUCCEEDED'], 60_000);
    const floodStartedBeforeLone = events.slice(0, events.findIndex((e) => e.kind === 'start' && e.toolId === 'lone')).filter((e) => e.kind === 'start' && e.group === 'bulk').length;
    await eventually(async () => (runsOf('bulk').starts.length === flood.length && events.at(-1)?.kind === 'end' ? true : undefined), 180_000, 'the flood to drain');

    // Assess: the flood was held in one batch (a group has one batch in flight), the lone job began within
    // a batch; the flood ran in its enqueue order (bulk requests in order, each request's items in order)
    const { batchSize } = jobRegistry.analysis.settings;
    expect(floodStartedAtEnqueue).toBeLessThanOrEqual(batchSize);
    expect(invocationsAtStart.get('lone')! - invocationsAtEnqueue).toBeLessThanOrEqual(2);
    expect(floodStartedBeforeLone).toBeLessThanOrEqual(2 * batchSize);
    const { starts, oneAtATime } = runsOf('bulk');
    expect(starts).toEqual(flood.map((id) => `${id}#1`));
    expect(oneAtATime).toBe(true);
    expect(lane.stats.fifoOrderBreaks).toBe(0);
  }, 240_000);

  it('keeps a bulk enqueue\'s order in its group, keyed and unkeyed items mixed', async () => {
    // Prepare: 12 jobs of one group, every third one with an idempotency key (keyed items take the idempotent path)
    const ids = Array.from({ length: 12 }, (_, i) => `mixed-${i}`);
    const jobs = ids.map((toolId, i) => ({ type: 'analysis', payload: analysisPayload({ toolId }), groupKey: 'mixed', ...(i % 3 === 1 ? { idempotencyKey: `mixed-key-${i}` } : {}) }));

    // Act
    const response = await api.request('POST', '/v1/jobs:batch', { body: { jobs } });
    const done = await Promise.all(response.body.results.map((r: { jobId: string }) => api.waitForStatus(r.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 60_000)));

    // Assess: the group ran in the items' order
    expect(response.body.accepted).toBe(12);
    expect(done.every((j) => j.status === 'SUCCEEDED')).toBe(true);
    const { starts, oneAtATime } = runsOf('mixed');
    expect(starts).toEqual(ids.map((id) => `${id}#1`));
    expect(oneAtATime).toBe(true);
  }, 120_000);

  it('refuses delaySeconds and a future runAt on a FIFO type, naming the field, on single and bulk enqueues', async () => {
    // Act
    const delayed = await post('no-delay', { delaySeconds: 30 });
    const later = await post('no-later', { runAt: new Date(Date.now() + 3_600_000).toISOString() });
    const bulk = await api.request('POST', '/v1/jobs:batch', { body: { jobs: [{ type: 'analysis', payload: analysisPayload({ toolId: 'no-delay-bulk' }), delaySeconds: 5 }] } });

    // Assess
    expect(delayed.status).toBe(400);
    expect(delayed.body.error.issues).toEqual([expect.objectContaining({ path: 'delaySeconds', message: expect.stringContaining('enqueue order') })]);
    expect(later.status).toBe(400);
    expect(later.body.error.issues).toEqual([expect.objectContaining({ path: 'runAt' })]);
    expect(bulk.body.results[0].error.issues).toEqual([expect.objectContaining({ path: 'jobs.0.delaySeconds' })]);
  });
});
