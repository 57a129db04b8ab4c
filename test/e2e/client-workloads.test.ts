import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, NotFoundError, ValidationError, type AnalyzeView, type ConveyorClient } from 'conveyor/client';
import { contractFetch } from '../helpers/contract.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/*
 * The client's notification and analyze methods against a local cloud, every response checked
 * against openapi.json (contractFetch).
 */

let api: ApiClient;
let conveyor: ConveyorClient;
let other: ConveyorClient;

beforeAll(async () => {
  api = await bootLocalCloud({ logLevel: 'error' });
  conveyor = createClient({ endpoint: api.cloud.apiUrl, apiKey: api.cloud.apiKey, fetch: contractFetch });
  other = createClient({ endpoint: api.cloud.apiUrl, apiKey: 'cvk_local_other', fetch: contractFetch });
});

afterAll(async () => {
  await api?.cloud.stop();
});

/** Reads the analysis until its state is final: the observation, not a sleep, ends the wait. */
async function settled(client: ConveyorClient, jobId: string): Promise<AnalyzeView> {
  for (;;) {
    const view = await client.analyze.get(jobId);
    if (view.status === 'completed' || view.status === 'failed') return view;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('E2E: conveyor/client, notifications and the analyze API', () => {
  it('sets a preference, reads the inbox a notification job wrote, marks one and then all read', async () => {
    // Prepare
    await conveyor.notifications.setPreferences('client-user', { email: true, address: 'ada@example.com' });
    const first = await conveyor.enqueue('notification', { kind: 'system', userId: 'client-user', title: 'Maintenance tonight', body: 'From 22:00 UTC.' });
    await conveyor.wait(first.jobId, { timeoutMs: 60_000, intervalMs: 20 });
    const second = await conveyor.enqueue('notification', { kind: 'order', userId: 'client-user', title: 'Order 7 paid', body: 'Thank you.', orderId: '7', status: 'paid' });
    await conveyor.wait(second.jobId, { timeoutMs: 60_000, intervalMs: 20 });

    // Act
    const preferences = await conveyor.notifications.preferences('client-user');
    const inbox = await conveyor.notifications.list('client-user', { unread: true });
    const read = await conveyor.notifications.markRead(inbox.items[1]!.id);
    const all = await conveyor.notifications.markAllRead('client-user');
    const unread = await conveyor.notifications.list('client-user', { unread: true });
    const foreign = await other.notifications.markRead(inbox.items[0]!.id).catch((error: unknown) => error);
    const invalid = await conveyor.notifications.list('not a user id').catch((error: unknown) => error);

    // Assess
    expect(preferences).toMatchObject({ userId: 'client-user', email: true, address: 'ada@example.com' });
    expect(inbox.items.map((n) => n.title)).toEqual(['Order 7 paid', 'Maintenance tonight']);
    expect(read).toMatchObject({ title: 'Maintenance tonight', read: true });
    expect(all).toEqual({ updated: 1, more: false });
    expect(unread.items).toEqual([]);
    expect(foreign).toBeInstanceOf(NotFoundError);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).issues.map((issue) => issue.path)).toContain('query.userId');
  });

  it('enqueues through the analyze API, replays its idempotency key, and reads the analysis once completed', async () => {
    // Act
    const accepted = await conveyor.analyze.enqueue({ toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE', priority: 'normal' }, { idempotencyKey: 'client-analyze-1' });
    const replay = await conveyor.analyze.enqueue({ toolId: 'replit', url: 'https://replit.com', description: 'Browser-based IDE', priority: 'normal' }, { idempotencyKey: 'client-analyze-1' });
    const view = await settled(conveyor, accepted.jobId);
    const foreign = await other.analyze.get(accepted.jobId).catch((error: unknown) => error);

    // Assess
    expect(accepted).toMatchObject({ status: 'waiting', replayed: false });
    expect(replay).toEqual({ jobId: accepted.jobId, status: expect.any(String), replayed: true });
    expect(view).toMatchObject({ jobId: accepted.jobId, status: 'completed', progress: 100, result: { toolId: 'replit' }, jobUrl: `/v1/jobs/${accepted.jobId}` });
    expect(view.result!.analysis.maturityScore).toBeGreaterThanOrEqual(0);
    expect(view.result!.analysis.maturityScore).toBeLessThanOrEqual(1);
    expect(foreign).toBeInstanceOf(NotFoundError);
  });
});
