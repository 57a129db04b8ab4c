import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoNotificationStore } from '../../functions/adapters/aws/dynamo-notifications.js';
import { PageCursors } from '../../functions/adapters/aws/page-cursor.js';
import { FollowUpEnqueuer } from '../../functions/jobs/follow-up.js';
import { createNotificationHandler } from '../../functions/jobs/notification/handler.js';
import type { JobContext } from '../../functions/worker/context.js';
import { followUpJobId, JobIdGenerator } from '../../shared/domain/job-id.js';
import type { JobMessage } from '../../shared/domain/job.js';
import { notificationJob, parseNotificationId } from '../../shared/jobs/notification.js';
import { silentLogger } from '../../shared/logging/logger.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import { MemoryJobStore } from '../helpers/memory-job-store.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;

beforeAll(async () => {
  table = await startLocalTable();
});

afterAll(async () => {
  await table?.close();
});

/** Job ids of `tenant` one second apart from `start`: ascending creation times (a fresh generator: ids never go back in time). */
function jobIds(tenant: string, count: number, start = Date.parse('2026-12-01T00:00:00Z')): string[] {
  const ids = new JobIdGenerator();
  return Array.from({ length: count }, (_, i) => ids.next(tenant, new Date(start + i * 1000)));
}

const cursors = new PageCursors(async () => Buffer.alloc(32, 7));

function store(now = new Date('2026-12-06T00:00:00Z')): DynamoNotificationStore {
  return new DynamoNotificationStore({ client: table.client, tableName: table.tableName, now: () => now, cursors });
}

const note = (jobId: string, userId = 'u-1', title = 'Hello') => ({ jobId, userId, kind: 'system' as const, title, body: 'Body', details: { severity: 'info' } });

describe('Class: DynamoNotificationStore (against the local DynamoDB)', () => {
  it('stores a notification once per job: a second put of the same job reports it existed', async () => {
    // Prepare
    const [jobId] = jobIds('t-once', 1);

    // Act
    const first = await store().put('t-once', note(jobId!));
    const second = await store().put('t-once', note(jobId!, 'u-1', 'Changed'));
    const page = await store().list('t-once', 'u-1', { limit: 10 });

    // Assess
    expect([first, second]).toEqual(['created', 'existed']);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({ kind: 'system', title: 'Hello', read: false, createdAt: '2026-12-01T00:00:00.000Z', details: { severity: 'info' } });
  });

  it('lists a user’s notifications newest first in pages, and never another user’s or tenant’s', async () => {
    // Prepare
    const mine = jobIds('t-list', 5);
    for (const [i, jobId] of mine.entries()) await store().put('t-list', note(jobId, 'u-1', `n${i}`));
    await store().put('t-list', note(jobIds('t-list', 1)[0]!, 'u-2', 'other user'));
    await store().put('t-other', note(jobIds('t-other', 1)[0]!, 'u-1', 'other tenant'));
    await store().putPreferences('t-list', 'u-1', { email: false });

    // Act
    const first = await store().list('t-list', 'u-1', { limit: 2 });
    const second = await store().list('t-list', 'u-1', { limit: 2, cursor: first.cursor! });
    const third = await store().list('t-list', 'u-1', { limit: 2, cursor: second.cursor! });

    const foreignCursor = await store().list('t-intruder', 'u-1', { limit: 2, cursor: first.cursor! }).catch((error: unknown) => error);

    // Assess
    expect([...first.items, ...second.items, ...third.items].map((n) => n.title)).toEqual(['n4', 'n3', 'n2', 'n1', 'n0']);
    expect(third.cursor).toBeUndefined();
    // A cursor is signed for its tenant, user and filter: anyone else's use of it is a 400 naming `cursor`.
    expect(foreignCursor).toMatchObject({ name: 'JobValidationError', issues: [{ path: 'cursor' }] });
  });

  it('marks one read, lists unread only, marks all read; another tenant cannot touch them', async () => {
    // Prepare
    const jobs = jobIds('t-read', 4);
    for (const jobId of jobs) await store().put('t-read', note(jobId, 'u-9'));
    const all = await store().list('t-read', 'u-9', { limit: 10 });

    // Act
    const foreign = await store().markRead('t-intruder', all.items[0]!.id);
    const read = await store().markRead('t-read', all.items[0]!.id);
    const unread = await store().list('t-read', 'u-9', { limit: 10, unread: true });
    const bulk = await store().markAllRead('t-read', 'u-9', 500);
    const after = await store().list('t-read', 'u-9', { limit: 10, unread: true });

    // Assess
    expect(foreign).toBeUndefined();
    expect(read).toMatchObject({ id: all.items[0]!.id, read: true, readAt: '2026-12-06T00:00:00.000Z' });
    expect(unread.items.map((n) => n.id)).toEqual(all.items.slice(1).map((n) => n.id));
    expect(bulk).toEqual({ updated: 3, more: false });
    expect(after.items).toEqual([]);
  });

  it('hides an expired notification until TTL removes it', async () => {
    // Prepare
    const [jobId] = jobIds('t-ttl', 1, Date.parse('2026-01-01T00:00:00Z'));
    await store().put('t-ttl', note(jobId!));

    // Act
    const within = await store(new Date('2026-02-01T00:00:00Z')).list('t-ttl', 'u-1', { limit: 5 });
    const after = await store(new Date('2026-06-01T00:00:00Z')).list('t-ttl', 'u-1', { limit: 5 });

    // Assess: 90 days of retention
    expect(within.items).toHaveLength(1);
    expect(after.items).toEqual([]);
  });

  it('keeps preferences per user', async () => {
    // Act
    await store().putPreferences('t-prefs', 'u-1', { email: true, address: 'ada@example.com' });

    // Assess
    expect(await store().getPreferences('t-prefs', 'u-1')).toEqual({ email: true, address: 'ada@example.com', updatedAt: '2026-12-06T00:00:00.000Z' });
    expect(await store().getPreferences('t-prefs', 'u-2')).toBeUndefined();
  });
});

describe('Function: createNotificationHandler', () => {
  function context(jobId: string, tenant: string): JobContext {
    return { jobId, tenant, type: 'notification', attempt: 1, maxAttempts: 5, signal: new AbortController().signal, logger: silentLogger, progress: vi.fn(async () => undefined) };
  }

  it('stores the notification and enqueues one e-mail copy, even when the job is delivered twice', async () => {
    // Prepare
    const jobs = new MemoryJobStore();
    const sent: JobMessage[] = [];
    const queue: JobQueue = { send: async (message) => void sent.push(message), changeVisibility: async () => undefined };
    const handler = createNotificationHandler({ store: store(), followUp: new FollowUpEnqueuer({ store: jobs, queue, logger: silentLogger }) });
    const [jobId] = jobIds('t-mail', 1);
    await store().putPreferences('t-mail', 'u-7', { email: true, address: 'grace@example.com' });
    const payload = notificationJob.payload.parse({ kind: 'order', userId: 'u-7', title: 'Order shipped', body: 'On its way', orderId: 'o-1', status: 'shipped' });

    // Act
    const first = await handler(payload, context(jobId!, 't-mail'));
    const again = await handler(payload, context(jobId!, 't-mail'));

    // Assess
    const emailJobId = followUpJobId(jobId!, 'notification-email');
    expect(first).toMatchObject({ stored: 'created', email: { jobId: emailJobId } });
    expect(again).toMatchObject({ stored: 'existed', email: { jobId: emailJobId } });
    expect(parseNotificationId(first.notificationId)).toEqual({ userId: 'u-7', jobId });
    expect(await jobs.get(emailJobId!)).toMatchObject({ type: 'email', tenant: 't-mail', payload: { template: 'notification', to: ['grace@example.com'], data: { title: 'Order shipped', kind: 'order' } } });
    // The record was still QUEUED at the redelivery: its message is sent again (harmless), never a second job.
    expect(sent.map((m) => m.jobId)).toEqual([emailJobId, emailJobId]);
    expect((await store().list('t-mail', 'u-7', { limit: 5 })).items).toHaveLength(1);
  });

  it('sends no e-mail when the user has e-mail off or no preferences', async () => {
    // Prepare
    const queue: JobQueue = { send: vi.fn(async () => undefined), changeVisibility: async () => undefined };
    const handler = createNotificationHandler({ store: store(), followUp: new FollowUpEnqueuer({ store: new MemoryJobStore(), queue, logger: silentLogger }) });
    await store().putPreferences('t-quiet', 'u-off', { email: false });
    const [a, b] = jobIds('t-quiet', 2);

    // Act
    const off = await handler(notificationJob.payload.parse({ kind: 'system', userId: 'u-off', title: 'T', body: 'B' }), context(a!, 't-quiet'));
    const none = await handler(notificationJob.payload.parse({ kind: 'system', userId: 'u-none', title: 'T', body: 'B' }), context(b!, 't-quiet'));

    // Assess
    expect(off.email).toEqual({ skipped: 'e-mail notifications off' });
    expect(none.email).toEqual({ skipped: 'no preferences set' });
    expect(queue.send).not.toHaveBeenCalled();
  });
});

describe('Schema: notification payload', () => {
  it('validates each kind’s own fields and names the wrong one', () => {
    // Act
    const order = notificationJob.payload.safeParse({ kind: 'order', userId: 'u', title: 'T', body: 'B', orderId: 'o', status: 'lost' });
    const badUser = notificationJob.payload.safeParse({ kind: 'system', userId: 'a#b', title: 'T', body: 'B' });
    const marketplace = notificationJob.payload.safeParse({ kind: 'marketplace', userId: 'u', title: 'T', body: 'B', listingId: 'l-1', event: 'price-drop', link: 'https://m.example/l-1' });

    // Assess
    expect(order.error?.issues.map((i) => i.path.join('.'))).toEqual(['status']);
    expect(badUser.error?.issues.map((i) => i.path.join('.'))).toEqual(['userId']);
    expect(marketplace.success).toBe(true);
  });
});
