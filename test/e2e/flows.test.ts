import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildOutcome, JobHandler } from '../../functions/worker/context.js';
import { PermanentJobError } from '../../shared/domain/errors.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { createClient } from 'conveyor/client';
import { contractFetch } from '../helpers/contract.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/*
 * Flows through the local cloud: POST /v1/flows, children run first, the parent once after all of
 * them with their results, CHILD_FAILED, the cancel cascade, and GET /v1/jobs/{id} listing children.
 * Every job here is an `analysis` job whose toolId says what its handler does.
 */

/** Each handler run, in the order they started: toolId and what a parent saw of its children. */
const runs: { toolId: string; children?: readonly ChildOutcome[] }[] = [];
/** Children that wait for the test to let them finish (a gate: RUNNING by construction, not by luck). */
const gates = new Map<string, { open: () => void; opened: Promise<void> }>();

function gate(toolId: string): void {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  gates.set(toolId, { open, opened });
}

const analysis: JobHandler<PayloadOf<'analysis'>> = async (payload, ctx) => {
  runs.push({ toolId: payload.toolId, ...(ctx.children ? { children: ctx.children } : {}) });
  const waiting = gates.get(payload.toolId);
  if (waiting) {
    // Reports progress until opened or cancelled: a cancel arrives through a progress write, and only a
    // changed value is written, so each report moves it on.
    let done = false;
    void waiting.opened.then(() => (done = true));
    for (let step = 0; !done; step++) {
      await ctx.progress(1 + (step % 98));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  if (payload.toolId.startsWith('fail-')) throw new PermanentJobError(`refused ${payload.toolId}`, 'INPUT_REFUSED');
  return { toolId: payload.toolId, sawChildren: ctx.children?.map((child) => child.result ?? child.status) ?? null };
};

let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({ handlers: { analysis } });
});

afterAll(async () => {
  for (const waiting of gates.values()) waiting.open();
  await api?.cloud.stop();
});

const job = (toolId: string, extra: Record<string, unknown> = {}) => ({ type: 'analysis', payload: analysisPayload({ toolId }), ...extra });
const ranCount = (toolId: string) => runs.filter((run) => run.toolId === toolId).length;

describe('E2E: POST /v1/flows', () => {
  it('runs the parent once, after every child and grandchild, with their results', async () => {
    // Prepare
    const body = job('p-1', { children: [job('c-1a'), job('c-1b', { children: [job('g-1a'), job('g-1b')] }), job('c-1c')] });

    // Act
    const answer = await api.request('POST', '/v1/flows', { body });
    const parent = await api.waitForStatus(answer.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(answer.status).toBe(202);
    expect(answer.headers.get('location')).toBe(`/v1/jobs/${answer.body.jobId}`);
    expect(answer.body.children).toHaveLength(3);
    expect(answer.body.children[1].children).toHaveLength(2);
    expect(parent.status).toBe('SUCCEEDED');
    const order = runs.map((run) => run.toolId);
    for (const toolId of ['p-1', 'c-1a', 'c-1b', 'c-1c', 'g-1a', 'g-1b']) expect(ranCount(toolId)).toBe(1);
    expect(order.indexOf('p-1')).toBeGreaterThan(Math.max(order.indexOf('c-1a'), order.indexOf('c-1b'), order.indexOf('c-1c')));
    expect(order.indexOf('c-1b')).toBeGreaterThan(Math.max(order.indexOf('g-1a'), order.indexOf('g-1b')));
    const seen = runs.find((run) => run.toolId === 'p-1')!.children!;
    expect(seen.map((child) => child.jobId)).toEqual(answer.body.children.map((child: { jobId: string }) => child.jobId));
    expect(seen.map((child) => child.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(seen[1]!.result).toEqual({ toolId: 'c-1b', sawChildren: [{ toolId: 'g-1a', sawChildren: null }, { toolId: 'g-1b', sawChildren: null }] });
    // (The API shows an analysis result with its assessment added: functions/api/result-view.ts.)
    expect(parent.result).toMatchObject({ toolId: 'p-1', sawChildren: [{ toolId: 'c-1a', sawChildren: null }, seen[1]!.result, { toolId: 'c-1c', sawChildren: null }] });
    expect(parent.children).toEqual(answer.body.children.map((child: { jobId: string }) => ({ jobId: child.jobId, type: 'analysis', status: 'SUCCEEDED' })));
  });

  it('holds the parent while a child runs: GET shows it QUEUED with its children and their statuses', async () => {
    // Prepare
    gate('c-2-gated');
    const answer = await api.request('POST', '/v1/flows', { body: job('p-2', { children: [job('c-2-gated'), job('c-2-quick')] }) });
    const [gated, quick] = answer.body.children as { jobId: string }[];
    await api.waitForStatus(quick!.jobId, ['SUCCEEDED']);
    await api.waitForStatus(gated!.jobId, ['RUNNING']);

    // Act
    const held = await api.request('GET', `/v1/jobs/${answer.body.jobId}`);
    gates.get('c-2-gated')!.open();
    const parent = await api.waitForStatus(answer.body.jobId, ['SUCCEEDED', 'FAILED']);

    // Assess
    expect(held.body).toMatchObject({ status: 'QUEUED', childrenPending: 1 });
    expect(held.body.children).toEqual([
      { jobId: gated!.jobId, type: 'analysis', status: 'RUNNING' },
      { jobId: quick!.jobId, type: 'analysis', status: 'SUCCEEDED' },
    ]);
    expect(parent).toMatchObject({ status: 'SUCCEEDED', childrenPending: 0 });
    expect(ranCount('p-2')).toBe(1);
    const child = await api.request('GET', `/v1/jobs/${gated!.jobId}`);
    expect(child.body.parentId).toBe(answer.body.jobId);
  });

  it('fails the parent with CHILD_FAILED naming the child that failed, without running it', async () => {
    // Act
    const answer = await api.request('POST', '/v1/flows', { body: job('p-3', { children: [job('c-3-ok'), job('fail-c-3')] }) });
    const parent = await api.waitForStatus(answer.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    const failedChild = answer.body.children[1].jobId as string;
    expect(parent).toMatchObject({ status: 'FAILED', error: { code: 'CHILD_FAILED' } });
    expect((parent.error as { message: string }).message).toContain(failedChild);
    expect(ranCount('p-3')).toBe(0);
    expect(ranCount('c-3-ok')).toBe(1);
  });

  it('runs the parent anyway when its options say continue, with the failed child and its error', async () => {
    // Act
    const answer = await api.request('POST', '/v1/flows', { body: job('p-4', { options: { onChildFailure: 'continue' }, children: [job('fail-c-4'), job('c-4-ok')] }) });
    const parent = await api.waitForStatus(answer.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(parent.status).toBe('SUCCEEDED');
    const seen = runs.find((run) => run.toolId === 'p-4')!.children!;
    expect(seen[0]).toMatchObject({ status: 'FAILED', error: { code: 'INPUT_REFUSED' } });
    expect(seen[1]).toMatchObject({ status: 'SUCCEEDED', result: { toolId: 'c-4-ok' } });
  });

  it('cancelling the parent cancels its unfinished children (a running one through its signal) and the parent never runs', async () => {
    // Prepare
    gate('c-5-gated');
    gate('g-5-gated');
    const answer = await api.request('POST', '/v1/flows', { body: job('p-5', { children: [job('c-5-gated'), job('c-5-quick'), job('c-5-mid', { children: [job('g-5-gated')] })] }) });
    const [gated, quick, mid] = answer.body.children as { jobId: string; children?: { jobId: string }[] }[];
    await api.waitForStatus(quick!.jobId, ['SUCCEEDED']);
    await eventually(async () => (ranCount('c-5-gated') === 1 && ranCount('g-5-gated') === 1) || undefined, 20_000, 'the gated children to run');

    // Act
    const cancelled = await api.request('DELETE', `/v1/jobs/${answer.body.jobId}`);

    // Assess
    expect(cancelled).toMatchObject({ status: 200, body: { status: 'CANCELLED' } });
    await api.waitForStatus(gated!.jobId, ['CANCELLED'], 60_000);
    await api.waitForStatus(mid!.jobId, ['CANCELLED'], 60_000);
    await api.waitForStatus(mid!.children![0]!.jobId, ['CANCELLED'], 60_000);
    expect((await api.request('GET', `/v1/jobs/${quick!.jobId}`)).body.status).toBe('SUCCEEDED');
    const parent = await api.request('GET', `/v1/jobs/${answer.body.jobId}`);
    expect(parent.body.status).toBe('CANCELLED');
    expect(ranCount('p-5')).toBe(0);
    expect(ranCount('c-5-mid')).toBe(0);
  }, 180_000);
});

describe('E2E: conveyor/client enqueueFlow', () => {
  it('enqueues a typed flow and waits for its parent, which saw its children', async () => {
    // Prepare
    const conveyor = createClient({ endpoint: api.cloud.apiUrl, apiKey: api.cloud.apiKey, fetch: contractFetch });

    // Act
    const flow = await conveyor.enqueueFlow({ type: 'analysis', payload: analysisPayload({ toolId: 'p-11' }), children: [{ type: 'analysis', payload: analysisPayload({ toolId: 'c-11' }) }] });
    const result = await conveyor.wait(flow.jobId, { timeoutMs: 20_000, intervalMs: 20 });
    const parent = await conveyor.get(flow.jobId);

    // Assess
    expect(flow.children).toEqual([{ jobId: expect.any(String), type: 'analysis' }]);
    expect(result).toMatchObject({ toolId: 'p-11', sawChildren: [{ toolId: 'c-11', sawChildren: null }] });
    expect(parent.children).toEqual([{ jobId: flow.children[0]!.jobId, type: 'analysis', status: 'SUCCEEDED' }]);
  });
});

describe('E2E: POST /v1/flows refuses a bad flow whole, writing nothing', () => {
  const listed = async () => ((await api.request('GET', '/v1/jobs?limit=100')).body.jobs as unknown[]).length;

  it('names the field of a grandchild whose payload is wrong', async () => {
    const before = await listed();
    const bad = job('p-6', { children: [job('c-6', { children: [job('g-6'), { type: 'analysis', payload: { toolId: 'g-6b' } }] })] });
    const answer = await api.request('POST', '/v1/flows', { body: bad });
    expect(answer.status).toBe(400);
    expect(answer.body.error.issues.map((issue: { path: string }) => issue.path)).toContain('children.0.children.1.payload.url');
    expect(await listed()).toBe(before);
  });

  it('names an unknown type, more than 100 children, and nesting deeper than 3 levels', async () => {
    const unknownType = await api.request('POST', '/v1/flows', { body: job('p-7', { children: [{ type: 'nope', payload: {} }] }) });
    const tooMany = await api.request('POST', '/v1/flows', { body: job('p-8', { children: Array.from({ length: 51 }, (_, i) => job(`c-8-${i}`, { children: [job(`g-8-${i}`)] })) }) });
    const tooDeep = await api.request('POST', '/v1/flows', { body: job('p-9', { children: [job('c-9', { children: [job('g-9', { children: [job('gg-9', { children: [job('ggg-9')] })] })] })] }) });
    const noChildren = await api.request('POST', '/v1/flows', { body: job('p-10', { children: [] }) });

    expect(unknownType.status).toBe(400);
    expect(unknownType.body.error.issues[0].path).toBe('children.0.type');
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.issues).toEqual([{ path: 'children', message: expect.stringContaining('102') }]);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.issues).toEqual([{ path: 'children.0.children.0.children.0.children', message: expect.stringContaining('3 levels') }]);
    expect(noChildren.status).toBe(400);
    expect(noChildren.body.error.issues[0].path).toBe('children');
    expect(runs.some((run) => /^(p|c|g)-(7|8|9|10)/.test(run.toolId))).toBe(false);
  });
});
