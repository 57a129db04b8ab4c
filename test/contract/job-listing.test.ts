import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoJobListing } from '../../functions/adapters/aws/dynamo-job-listing.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { PageCursors, tableCursorKey } from '../../functions/adapters/aws/page-cursor.js';
import { JOB_ID_SHARDS, JobIdGenerator, parseJobId } from '../../shared/domain/job-id.js';
import type { JobRecord } from '../../shared/domain/job.js';
import type { JobStatus } from '../../shared/domain/status.js';
import type { JobListQuery } from '../../shared/ports/job-listing.js';
import { queuedJob } from '../helpers/factories.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';
import { collidingTenants } from '../helpers/tenant-collision.js';

let table: LocalTable;
const cursors = new PageCursors(async () => Buffer.alloc(32, 7));
let store: DynamoJobStore;
const ids = new JobIdGenerator();
const base = Date.parse('2026-11-23T08:00:00.000Z');

beforeAll(async () => {
  table = await startLocalTable();
  store = new DynamoJobStore({ client: table.client, tableName: table.tableName });
});

afterAll(async () => {
  await table?.close();
});

const listing = (options: { maxQueriesPerPage?: number; filteredReadSize?: number; maxActivityItems?: number } = {}) =>
  new DynamoJobListing({ client: table.client, tableName: table.tableName, cursors, ...options });

/** Creates jobs of `tenant` at base + i seconds (offset by `start`), in the shards given (cycled). */
async function createJobs(tenant: string, count: number, options: { start?: number; shards?: readonly number[]; status?: (i: number) => JobStatus; type?: (i: number) => string; fields?: (i: number) => Partial<JobRecord> } = {}): Promise<JobRecord[]> {
  const jobs = Array.from({ length: count }, (_, i) => {
    const created = new Date(base + ((options.start ?? 0) + i) * 1_000);
    const shards = options.shards ?? [0];
    const jobId = ids.next(tenant, created, shards[i % shards.length]);
    return queuedJob({ jobId, tenant, type: options.type?.(i) ?? 'analysis', status: options.status?.(i) ?? 'QUEUED', createdAt: created.toISOString(), updatedAt: created.toISOString(), ...options.fields?.(i) });
  });
  for (const job of jobs) await store.create(job);
  return jobs;
}

/** Every page of a listing, following cursors (bounded). */
async function allPages(tenant: string, query: Omit<JobListQuery, 'cursor'>, source = listing()): Promise<{ pages: string[][]; cursors: number }> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  let cursors = 0;
  do {
    const page = await source.list(tenant, { ...query, ...(cursor ? { cursor } : {}) });
    pages.push(page.jobs.map((job) => job.jobId));
    cursor = page.cursor;
    if (cursor) cursors++;
  } while (cursor && pages.length < 100);
  return { pages, cursors };
}

const newestFirst = (jobs: readonly JobRecord[]) => jobs.map((job) => job.jobId).sort().reverse();

describe('Contract: DynamoJobListing over sharded partitions', () => {
  it('merges every shard newest first and pages across shards with a cursor, each job once', async () => {
    // Prepare: 23 jobs spread unevenly over every shard (a run of 5 in shard 0 in the middle)
    const shards = [0, 1, 2, 3, 3, 1, 0, 0, 0, 0, 0, 2];
    const jobs = await createJobs('merge-tenant', 23, { shards });

    // Act
    const { pages } = await allPages('merge-tenant', { limit: 4 });

    // Assess
    expect(new Set(jobs.map((job) => parseJobId(job.jobId)!.shard)).size).toBe(JOB_ID_SHARDS);
    expect(pages.flat()).toEqual(newestFirst(jobs));
    expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
    expect(pages.length).toBe(6);
  });

  it('reads back whole records: id from the sort key, createdAt from the id', async () => {
    // Prepare
    const [job] = await createJobs('record-tenant', 1, { shards: [2] });

    // Act
    const page = await listing().list('record-tenant', { limit: 10 });

    // Assess
    expect(page).toEqual({ jobs: [job] });
  });

  it('filters by type and status across shards, still in order, even when the read budget runs out first', async () => {
    // Prepare: 40 jobs, every fifth one FAILED, in all four shards
    const jobs = await createJobs('filter-tenant', 40, { shards: [0, 1, 2, 3], status: (i) => (i % 5 === 0 ? 'FAILED' : 'SUCCEEDED'), type: (i) => (i % 2 === 0 ? 'analysis' : 'pdf') });
    const failed = jobs.filter((job) => job.status === 'FAILED');

    // Act: the smallest budget (two queries per shard) and 2 items evaluated per query, pages of 3
    const tight = await allPages('filter-tenant', { limit: 3, status: 'FAILED' }, listing({ maxQueriesPerPage: 1, filteredReadSize: 2 }));
    const pdf = await allPages('filter-tenant', { limit: 100, type: 'pdf' });

    // Assess
    expect(tight.pages.flat()).toEqual(newestFirst(failed));
    // The budget ran out before pages filled: short pages with a cursor, yet nothing lost or repeated.
    expect(tight.pages.some((page) => page.length < 3 && page !== tight.pages.at(-1))).toBe(true);
    expect(pdf.pages.flat()).toEqual(newestFirst(jobs.filter((job) => job.type === 'pdf')));
  });

  it('never lists, nor reads, a job of another tenant whose hash collides (same partitions)', async () => {
    // Prepare: two tenants sharing every partition, their jobs interleaved in time and shards
    const [mine, theirs] = collidingTenants('collide-');
    const my = await createJobs(mine, 9, { shards: [0, 1, 2, 3], start: 0 });
    const their = await createJobs(theirs, 9, { shards: [3, 2, 1, 0], start: 100 });
    const interleaved = await createJobs(theirs, 5, { shards: [0, 1], start: 3 });

    // Act
    const mineListed = await allPages(mine, { limit: 2 });
    const theirsListed = await allPages(theirs, { limit: 50 });
    const activity = await listing().recentActivity(mine, new Date(base - 1_000), new Date(base + 1_000 * 1_000));
    const crossRead = await store.get(their[0]!.jobId, { tenant: mine });

    // Assess
    expect(mineListed.pages.flat()).toEqual(newestFirst(my));
    expect(theirsListed.pages.flat()).toEqual(newestFirst([...their, ...interleaved]));
    expect(activity.counts).toEqual({ analysis: { QUEUED: 9 } });
    expect(crossRead).toBeUndefined();
  });

  it('counts recent activity across shards, with the oldest waiting job per type', async () => {
    // Prepare: 2 old jobs (outside the window), then 8 inside it
    await createJobs('activity-tenant', 2, { shards: [0, 3], start: 1_000 });
    const recent = await createJobs('activity-tenant', 8, { shards: [3, 2, 1, 0], start: 2_000, status: (i) => (i < 2 ? 'SUCCEEDED' : 'QUEUED'), type: (i) => (i % 2 === 0 ? 'analysis' : 'email') });

    // Act
    const activity = await listing().recentActivity('activity-tenant', new Date(base + 2_000 * 1_000), new Date(base + 3_000 * 1_000));
    const capped = await listing({ maxActivityItems: 4 }).recentActivity('activity-tenant', new Date(base + 2_000 * 1_000), new Date(base + 3_000 * 1_000));

    // Assess
    expect(activity).toEqual({
      counts: { analysis: { SUCCEEDED: 1, QUEUED: 3 }, email: { SUCCEEDED: 1, QUEUED: 3 } },
      oldestDueAt: { analysis: recent[2]!.createdAt, email: recent[3]!.createdAt },
      held: {},
      scanned: 8,
      complete: true,
    });
    expect(capped.complete).toBe(false);
  });

  it('counts a waiting job as waiting only from when it is due; jobs held for later are counted apart', async () => {
    // Prepare: at `now`, in one window: a job due since it was created, an older one held until
    // tomorrow, one whose runAt passed, a retry still in its backoff, a redriven one, an e-mail held
    const at = (seconds: number) => new Date(base + seconds * 1_000).toISOString();
    const now = new Date(base + 5_000 * 1_000);
    const tomorrow = at(5_000 + 86_400);
    const plans: { status: JobStatus; type: string; fields: Partial<JobRecord> }[] = [
      { status: 'QUEUED', type: 'analysis', fields: { runAt: tomorrow } }, // 4000: held
      { status: 'RETRYING', type: 'analysis', fields: { nextAttemptAt: at(5_100) } }, // 4001: in backoff
      { status: 'QUEUED', type: 'analysis', fields: { runAt: at(4_900) } }, // 4002: due since 4900
      { status: 'QUEUED', type: 'analysis', fields: {} }, // 4003: due since 4003 — the oldest due
      { status: 'QUEUED', type: 'email', fields: { runAt: at(4_010), redrivenAt: at(4_950) } }, // 4004: redriven, due since 4950
      { status: 'QUEUED', type: 'email', fields: { runAt: at(6_000) } }, // 4005: held, due sooner
    ];
    const jobs = await createJobs('due-tenant', plans.length, { start: 4_000, shards: [0, 1, 2, 3], status: (i) => plans[i]!.status, type: (i) => plans[i]!.type, fields: (i) => plans[i]!.fields });

    // Act
    const activity = await listing().recentActivity('due-tenant', new Date(base + 3_000 * 1_000), now);

    // Assess
    expect(jobs[3]!.createdAt).toBe(at(4_003));
    expect(activity.counts).toEqual({ analysis: { QUEUED: 3, RETRYING: 1 }, email: { QUEUED: 2 } });
    expect(activity.oldestDueAt).toEqual({ analysis: at(4_003), email: at(4_950) });
    expect(activity.held).toEqual({ analysis: { count: 1, nextRunAt: tomorrow }, email: { count: 1, nextRunAt: at(6_000) } });
  });
});

describe('Function: tableCursorKey', () => {
  it('creates the stage key once in the table: a cursor one API instance issued is accepted by another', async () => {
    // Prepare: two instances, each with its own cached key source, racing for the first read
    const [first, second] = [new PageCursors(tableCursorKey(table.client, table.tableName)), new PageCursors(tableCursorKey(table.client, table.tableName))];
    const jobId = ids.next('tenant-k', new Date(base));

    // Act
    const [issued] = await Promise.all([first.encode('jobs|tenant-k|*|*', jobId), second.encode('jobs|tenant-k|*|*', jobId)]);

    // Assess
    expect(await second.decode('jobs|tenant-k|*|*', issued)).toBe(jobId);
    await expect(new PageCursors(async () => Buffer.alloc(32, 7)).decode('jobs|tenant-k|*|*', issued)).rejects.toThrow(/invalid cursor/);
  });
});
