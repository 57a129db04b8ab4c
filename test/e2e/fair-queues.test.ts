import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import { priorityConcurrency } from '../../shared/jobs/priority.js';
import { jobRegistry } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * Groups on a standard job type: each job's group (its `groupKey`, or by default its tenant) is its SQS
 * MessageGroupId, which makes the type's queue an SQS fair queue. A flood from one group must not hold
 * back another group's job behind it. Counted in consumer invocations and handler starts, never time.
 */

const FLOOD = 1_000;
const OTHER_KEY = LOCAL_API_KEYS[1]!.key;
/** The consumers of the analysis type's normal lane, and the records each reads at once. */
const maxConcurrency = priorityConcurrency(jobRegistry.analysis).normal;
const batchSize = jobRegistry.analysis.settings.batchSize;

/** Flood jobs wait until the lone job has been enqueued, so the backlog is there by construction. */
let floodGate: Promise<void> = Promise.resolve();
const started: string[] = [];
const finished = new Map<string, number>();
/** The lane's invocation count when each lone job's handler started. */
const invocationsAtStart = new Map<string, number>();
let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({
    handlers: {
      analysis: async (payload, ctx) => {
        started.push(payload.toolId);
        if (payload.toolId.startsWith('lone-')) invocationsAtStart.set(payload.toolId, api.cloud.lanes.analysis!.stats.invocations);
        if (!payload.toolId.startsWith('lone-') && !payload.toolId.startsWith('g-')) await floodGate;
        const prefix = payload.toolId.replace(/-\d+$/, '');
        finished.set(prefix, (finished.get(prefix) ?? 0) + 1);
        return { tenant: ctx.tenant, ...(ctx.groupKey !== undefined ? { groupKey: ctx.groupKey } : {}) };
      },
    },
  });
});

afterAll(async () => {
  await api?.cloud.stop();
});

/** Enqueues `FLOOD` jobs named `<name>-<i>` through the bulk endpoint, 100 per call. */
async function flood(name: string, extra: Record<string, unknown> = {}): Promise<void> {
  for (let from = 0; from < FLOOD; from += 100) {
    const jobs = Array.from({ length: 100 }, (_, i) => ({ type: 'analysis', payload: analysisPayload({ toolId: `${name}-${from + i}` }), ...extra }));
    const response = await api.request('POST', '/v1/jobs:batch', { body: { jobs } });
    expect(response.body.accepted).toBe(100);
  }
}

/**
 * Floods one group, enqueues one job of another group while the flood's consumers are held, then
 * counts the consumer invocations and flood jobs that started before the lone job did.
 */
async function loneJobBehindFlood(floodName: string, floodExtra: Record<string, unknown>, lone: { toolId: string; extra: Record<string, unknown>; key?: string }) {
  let open: () => void = () => undefined;
  floodGate = new Promise<void>((resolve) => (open = resolve));
  const lane = api.cloud.lanes.analysis!;
  await flood(floodName, floodExtra);
  const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: lone.toolId }), ...lone.extra }, ...(lone.key ? { key: lone.key } : {}) });
  expect(posted.status).toBe(202);
  const invocationsAtEnqueue = lane.stats.invocations;
  const startedAtEnqueue = started.length;
  const floodWaiting = FLOOD - started.filter((id) => id.startsWith(`${floodName}-`)).length;
  open();
  const done = await api.waitForStatus(posted.body.jobId, ['SUCCEEDED'], 60_000, lone.key);
  const loneAt = started.indexOf(lone.toolId);
  // Invocations begun since the lone job was enqueued, up to the one that ran it (included).
  const invocationsUntilLone = invocationsAtStart.get(lone.toolId)! - invocationsAtEnqueue;
  const floodStartedFirst = started.slice(startedAtEnqueue, loneAt).filter((id) => id.startsWith(`${floodName}-`)).length;
  // The rest of the flood drains before the next test (its consumers would otherwise be busy then).
  await eventually(async () => ((finished.get(floodName) ?? 0) === FLOOD ? true : undefined), 120_000, `the ${floodName} flood to drain`);
  return { done, invocationsUntilLone, floodStartedFirst, floodWaiting };
}

describe('E2E: fair queues — a group\'s flood does not hold back other groups (standard job types)', () => {
  it('runs another tenant\'s job within one batch per consumer of a 1,000-job flood from one tenant', async () => {
    // Act: the flood from tenant dev (no groupKey: the tenant's group), the lone job from tenant other
    const { done, invocationsUntilLone, floodStartedFirst, floodWaiting } = await loneJobBehindFlood('flood', {}, { toolId: 'lone-other-tenant', extra: {}, key: OTHER_KEY });

    // Assess: most of the flood was still waiting, yet the lone job started after at most one batch per
    // consumer (each consumer finishing the batch it held, plus at most one more while the lone job's
    // batch was being read) — in arrival order it would have waited for ~96 batches.
    expect(done).toMatchObject({ status: 'SUCCEEDED', result: { tenant: 'other' } });
    expect(floodWaiting).toBeGreaterThanOrEqual(FLOOD - maxConcurrency * batchSize);
    expect(invocationsUntilLone).toBeLessThanOrEqual(2 * maxConcurrency);
    expect(floodStartedFirst).toBeLessThanOrEqual(2 * maxConcurrency * batchSize);
  }, 240_000);

  it('runs a job of another groupKey within one batch per consumer of a 1,000-job flood of one groupKey, same tenant', async () => {
    // Act
    const { done, invocationsUntilLone, floodStartedFirst, floodWaiting } = await loneJobBehindFlood('bulk', { groupKey: 'nightly-import' }, { toolId: 'lone-interactive', extra: { groupKey: 'interactive' } });

    // Assess
    expect(done).toMatchObject({ status: 'SUCCEEDED', groupKey: 'interactive', result: { tenant: 'dev', groupKey: 'interactive' } });
    expect(floodWaiting).toBeGreaterThanOrEqual(FLOOD - maxConcurrency * batchSize);
    expect(invocationsUntilLone).toBeLessThanOrEqual(2 * maxConcurrency);
    expect(floodStartedFirst).toBeLessThanOrEqual(2 * maxConcurrency * batchSize);
  }, 240_000);
});

describe('E2E: groupKey at the API', () => {
  it('stores groupKey on single, bulk and idempotent enqueues and shows it in GET /v1/jobs/{id}', async () => {
    // Act
    const single = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'g-single' }), groupKey: 'account-7' } });
    const bulk = await api.request('POST', '/v1/jobs:batch', { body: { jobs: [{ type: 'analysis', payload: analysisPayload({ toolId: 'g-bulk' }), groupKey: 'account-8' }, { type: 'analysis', payload: analysisPayload({ toolId: 'g-bulk-keyed' }), groupKey: 'account-9', idempotencyKey: 'g-bulk-1' }] } });
    const keyed = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'g-keyed' }), groupKey: 'account-10' }, headers: { 'idempotency-key': 'g-key-1' } });
    const replay = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'g-keyed' }), groupKey: 'account-10' }, headers: { 'idempotency-key': 'g-key-1' } });
    const otherGroup = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'g-keyed' }), groupKey: 'account-11' }, headers: { 'idempotency-key': 'g-key-1' } });
    const ids = [single.body.jobId, bulk.body.results[0].jobId, bulk.body.results[1].jobId, keyed.body.jobId];
    const jobs = await Promise.all(ids.map((id: string) => api.waitForStatus(id, ['SUCCEEDED'])));

    // Assess
    expect(jobs.map((j) => j.groupKey)).toEqual(['account-7', 'account-8', 'account-9', 'account-10']);
    expect(jobs.map((j) => (j.result as { groupKey?: string }).groupKey)).toEqual(['account-7', 'account-8', 'account-9', 'account-10']);
    expect(replay).toMatchObject({ status: 200, body: { jobId: keyed.body.jobId } });
    expect(otherGroup.status).toBe(409);
  });

  it('400 naming groupKey for a bad key, on a single and on a bulk enqueue; nothing is written', async () => {
    // Act
    const single = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), groupKey: 'x'.repeat(129) } });
    const bulk = await api.request('POST', '/v1/jobs:batch', { body: { jobs: [{ type: 'analysis', payload: analysisPayload(), groupKey: 'tab\there' }] } });

    // Assess
    expect(single.status).toBe(400);
    expect(single.body.error.issues).toContainEqual({ path: 'groupKey', message: 'groupKey must be 1–128 visible ASCII characters (no spaces)' });
    expect(bulk.status).toBe(400);
    expect(bulk.body.results[0].error.issues).toContainEqual({ path: 'jobs.0.groupKey', message: 'groupKey must be 1–128 visible ASCII characters (no spaces)' });
  });
});
