import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../functions/wiring.js';
import { templateData } from '../helpers/email-payloads.js';
import { messagesTo } from '../helpers/inbox.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

let api: ApiClient;
let sqs: SQSClient;

beforeAll(async () => {
  api = await bootLocalCloud();
  ({ sqs } = createClients(api.cloud.config));
});

afterAll(async () => {
  sqs?.destroy();
  await api?.cloud.stop();
});

/** Waits until nothing is visible or in flight on the queue (delayed messages stay delayed). */
async function waitUntilConsumed(queueUrl: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    if (Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible) === 0) return;
    if (Date.now() > deadline) throw new Error(`queue ${queueUrl} still holds messages after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('E2E: a message forged with a real job id', () => {
  it('never runs another tenant’s job with the attacker’s payload: the record and the inbox are untouched', async () => {
    // Prepare: tenant "other" enqueues an e-mail due in 15 minutes (its own message waits in the queue)
    const victim = `victim-${randomUUID().slice(0, 8)}@example.com`;
    const attacker = `attacker-${randomUUID().slice(0, 8)}@example.com`;
    const payload = { to: [victim], template: 'welcome', data: templateData('welcome') };
    const posted = await api.request('POST', '/v1/jobs', { key: 'cvk_local_other', body: { type: 'email', payload, delaySeconds: 900 } });
    expect(posted.status, JSON.stringify(posted.body)).toBe(202);
    const jobId = posted.body.jobId as string;
    const queueUrl = api.cloud.queues.email.url;

    // Act: anyone with SendMessage on the queue sends that id with their own tenant and recipient
    await sqs.send(new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ jobId, type: 'email', tenant: 'dev', payload: { ...payload, to: [attacker] }, enqueuedAt: Date.now() }),
    }));
    await waitUntilConsumed(queueUrl);

    // Assess
    expect(await messagesTo(api.cloud.inbox.storeUrl, attacker)).toEqual([]);
    expect(await messagesTo(api.cloud.inbox.storeUrl, victim)).toEqual([]);
    const record = await api.request('GET', `/v1/jobs/${jobId}`, { key: 'cvk_local_other' });
    expect(record.body).toMatchObject({ status: 'QUEUED', attempt: 0, payload: { to: [victim] } });
    expect(record.body.result).toBeUndefined();
  });
});
