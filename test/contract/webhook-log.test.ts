import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDeadLetterIndex } from '../../functions/adapters/aws/dynamo-dead-letter-index.js';
import { DynamoJobStore } from '../../functions/adapters/aws/dynamo-job-store.js';
import { DynamoWebhookLog } from '../../functions/adapters/aws/dynamo-webhook-log.js';
import type { DeliveryResult, WebhookDelivery } from '../../functions/webhooks/delivery.js';
import { webhookWorker } from '../../functions/webhooks/webhook-worker.js';
import { WEBHOOK_ATTEMPTS_KEPT, webhookAttemptKey } from '../../shared/domain/webhook-log.js';
import { silentLogger } from '../../shared/logging/logger.js';
import { WEBHOOKS_QUEUE } from '../../shared/ports/webhook-log.js';
import { queuedJob } from '../helpers/factories.js';
import { startLocalTable, type LocalTable } from '../helpers/local-table.js';

let table: LocalTable;
let store: DynamoJobStore;
let log: DynamoWebhookLog;

beforeAll(async () => {
  table = await startLocalTable();
  store = new DynamoJobStore({ client: table.client, tableName: table.tableName });
  log = new DynamoWebhookLog({ client: table.client, tableName: table.tableName });
});

afterAll(async () => {
  await table?.close();
});

const FINISHED = '2026-12-06T10:00:00.000Z';

async function finishedJob() {
  const job = queuedJob({ status: 'SUCCEEDED', finishedAt: FINISHED, callbackUrl: 'http://127.0.0.1:9/hook' });
  await store.create(job);
  return job;
}

const failed = (messageId: string, receive: number) => ({ key: webhookAttemptKey(messageId, receive), at: new Date(Date.parse(FINISHED) + receive * 1000).toISOString(), status: 503 });

describe('Contract: DynamoWebhookLog (attempts on the job record, on the local DynamoDB)', () => {
  it('records a duplicate delivery of the same receive once, even when both copies write at once', async () => {
    // Prepare
    const job = await finishedJob();
    const entry = { jobId: job.jobId, finishedAt: FINISHED, state: 'pending' as const, attempt: failed('m-1', 1) };

    // Act
    const outcomes = await Promise.all([log.record(entry), log.record(entry), log.record(entry)]);

    // Assess
    expect(outcomes.filter((o) => o === 'recorded')).toHaveLength(1);
    expect((await store.get(job.jobId))?.webhook).toEqual({ finishedAt: FINISHED, state: 'pending', attempts: 1, recent: [entry.attempt] });
  });

  it('loses no attempt when distinct attempts write at once, and a replayed one counts nothing', async () => {
    // Prepare
    const job = await finishedJob();

    // Act: receives 1–4 of one message and receive 1 of a second (a redriven copy) race
    await Promise.all([1, 2, 3, 4].map((n) => log.record({ jobId: job.jobId, finishedAt: FINISHED, state: 'pending', attempt: failed('m-1', n) })).concat(log.record({ jobId: job.jobId, finishedAt: FINISHED, state: 'pending', attempt: failed('m-2', 1) })));
    const replayed = await log.record({ jobId: job.jobId, finishedAt: FINISHED, state: 'pending', attempt: failed('m-1', 2) });

    // Assess
    const webhook = (await store.get(job.jobId))?.webhook;
    expect(webhook?.attempts).toBe(5);
    expect(webhook?.recent.map((a) => a.key).sort()).toEqual(['m-1:1', 'm-1:2', 'm-1:3', 'm-1:4', 'm-2:1']);
    expect(replayed).toBe('duplicate');
  });

  it(`keeps the last ${WEBHOOK_ATTEMPTS_KEPT} attempts and the total count; a later ending starts a new log and an earlier one's attempt is ignored`, async () => {
    // Prepare
    const job = await finishedJob();

    // Act
    for (let n = 1; n <= 13; n++) await log.record({ jobId: job.jobId, finishedAt: FINISHED, state: n === 13 ? 'dead-lettered' : 'pending', attempt: failed('m-1', n) });
    const full = (await store.get(job.jobId))?.webhook;
    const later = '2026-12-06T11:00:00.000Z';
    await log.record({ jobId: job.jobId, finishedAt: later, state: 'delivered', attempt: { key: 'm-9:1', at: later, status: 200 } });
    const stale = await log.record({ jobId: job.jobId, finishedAt: FINISHED, state: 'pending', attempt: failed('m-3', 1) });

    // Assess
    expect(full).toMatchObject({ state: 'dead-lettered', attempts: 13 });
    expect(full?.recent.map((a) => a.key)).toEqual(Array.from({ length: 10 }, (_, i) => `m-1:${i + 4}`));
    expect(stale).toBe('duplicate');
    expect((await store.get(job.jobId))?.webhook).toEqual({ finishedAt: later, state: 'delivered', attempts: 1, recent: [{ key: 'm-9:1', at: later, status: 200 }] });
  });

  it('answers missing for a job that is gone', async () => {
    const job = queuedJob();
    expect(await log.record({ jobId: job.jobId, finishedAt: FINISHED, state: 'pending', attempt: failed('m-1', 1) })).toBe('missing');
  });
});

describe('Function: webhookWorker (recording attempts through the real log)', () => {
  const worker = (result: DeliveryResult, maxAttempts = 3) =>
    webhookWorker({ deliver: async () => result, queue: { changeVisibility: async () => undefined }, logger: silentLogger, log, maxAttempts, random: () => 0, now: () => new Date(FINISHED) });
  const event = (delivery: WebhookDelivery, messageId: string, receive: number) => ({ Records: [{ messageId, receiptHandle: `rh-${receive}`, body: JSON.stringify(delivery), attributes: { ApproximateReceiveCount: String(receive) } }] });

  it('records a delivery once when SQS hands the same receive to two consumers', async () => {
    // Prepare
    const job = await finishedJob();
    const delivery: WebhookDelivery = { jobId: job.jobId, tenant: job.tenant, callbackUrl: job.callbackUrl!, body: '{}', finishedAt: FINISHED };

    // Act
    await Promise.all([worker({ ok: true, status: 204 })(event(delivery, 'm-1', 1)), worker({ ok: true, status: 204 })(event(delivery, 'm-1', 1))]);

    // Assess
    expect((await store.get(job.jobId))?.webhook).toEqual({ finishedAt: FINISHED, state: 'delivered', attempts: 1, recent: [{ key: 'm-1:1', at: FINISHED, status: 204 }] });
  });

  it('records the retry time of a failed attempt, the error class of one with no answer, and lists the last failure among the webhooks DLQ', async () => {
    // Prepare
    const job = await finishedJob();
    const delivery: WebhookDelivery = { jobId: job.jobId, tenant: job.tenant, callbackUrl: job.callbackUrl!, body: JSON.stringify({ finishedAt: FINISHED }) };
    const refused: DeliveryResult = { ok: false, retry: true, reason: 'connect ECONNREFUSED', error: 'connection-refused' };

    // Act
    for (const receive of [1, 2, 3]) await worker(refused)(event(delivery, 'm-1', receive));

    // Assess
    const webhook = (await store.get(job.jobId))?.webhook;
    expect(webhook).toMatchObject({ state: 'dead-lettered', attempts: 3 });
    expect(webhook?.recent[0]).toEqual({ key: 'm-1:1', at: FINISHED, error: 'connection-refused', nextAttemptAt: new Date(Date.parse(FINISHED) + 15_000).toISOString() });
    expect(webhook?.recent[2]).toEqual({ key: 'm-1:3', at: FINISHED, error: 'connection-refused' });
    const listed = await new DynamoDeadLetterIndex({ client: table.client, tableName: table.tableName, now: () => new Date(FINISHED) }).list(WEBHOOKS_QUEUE, { limit: 10 });
    expect(listed.jobIds).toContain(job.jobId);
  });
});
