import { randomUUID } from 'node:crypto';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClients } from '../../functions/wiring.js';
import { EMAIL_TEMPLATE_NAMES } from '../../shared/jobs/email-templates/index.js';
import { EXPECTED_SUBJECT, HOSTILE, templateData } from '../helpers/email-payloads.js';
import { messagesTo, readInbox } from '../helpers/inbox.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** A recipient no other test uses, so its inbox count is this test's alone. */
const uniqueAddress = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.com`;
const CRASH_ONCE = 'crash-once@example.com';

let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud({
    // Fault injection for the redelivery test: after the real handler has sent and recorded the
    // e-mail, attempt 1 fails as if the function died before acknowledging the message.
    handlers: (real) => ({
      email: async (payload, context) => {
        const result = await real.email(payload, context);
        if (payload.to.includes(CRASH_ONCE) && context.attempt === 1) throw new Error('simulated crash after the send was recorded');
        return result;
      },
    }),
  });
});

afterAll(async () => {
  await api?.cloud.stop();
});

async function sendEmail(payload: Record<string, unknown>) {
  const posted = await api.request('POST', '/v1/jobs', { body: { type: 'email', payload } });
  expect(posted.status, JSON.stringify(posted.body)).toBe(202);
  return api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD'], 30_000);
}

describe('E2E: e-mail jobs through the local SES inbox', () => {
  it.each(EMAIL_TEMPLATE_NAMES)('sends the %s template with both parts, escaped HTML and every recipient', async (template) => {
    // Prepare
    const to = [uniqueAddress('to1'), uniqueAddress('to2')];
    const cc = [uniqueAddress('cc')];
    const bcc = [uniqueAddress('bcc')];
    const replyTo = uniqueAddress('reply');

    // Act
    const job = await sendEmail({ to, cc, bcc, replyTo, template, data: templateData(template) });

    // Assess
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: { template, recipients: 4, messageId: expect.any(String) } });
    const [mail, ...others] = await messagesTo(api.cloud.inbox.storeUrl, to[0]!);
    expect(others).toHaveLength(0);
    expect(mail!.messageId).toBe((job.result as { messageId: string }).messageId);
    expect(mail!.from).toBe(api.cloud.config.CONVEYOR_EMAIL_FROM);
    expect(mail!.destination).toEqual({ to, cc, bcc });
    expect(mail!.replyTo).toEqual([replyTo]);
    expect(mail!.subject).toBe(EXPECTED_SUBJECT[template]);
    const { html, text } = mail!.body;
    expect(html).toContain('<!DOCTYPE html>');
    expect(text).toBeTruthy();
    // The hostile value is escaped in HTML, verbatim in the text part, never live markup.
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Ünïcødé&#39;');
    expect(text).toContain(HOSTILE);
  });

  it('takes an explicit subject instead of the template’s', async () => {
    const to = [uniqueAddress('subject')];
    const job = await sendEmail({ to, template: 'welcome', subject: 'Your account is live', data: templateData('welcome') });
    expect(job.status).toBe('SUCCEEDED');
    expect((await messagesTo(api.cloud.inbox.storeUrl, to[0]!)).map((m) => m.subject)).toEqual(['Your account is live']);
  });

  it('does not send twice when the message is redelivered after the send was recorded', async () => {
    // Act: attempt 1 sends, records the message id, then "crashes"; SQS redelivers after the backoff.
    const job = await sendEmail({ to: [CRASH_ONCE], template: 'welcome', data: templateData('welcome') });

    // Assess
    expect(job).toMatchObject({ status: 'SUCCEEDED', attempt: 2, result: { alreadySent: true } });
    const mails = await messagesTo(api.cloud.inbox.storeUrl, CRASH_ONCE);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.messageId).toBe((job.result as { messageId: string }).messageId);
  });

  it('acknowledges a duplicate message of an e-mail already sent without sending', async () => {
    // Prepare
    const to = [uniqueAddress('dup')];
    const job = await sendEmail({ to, template: 'welcome', data: templateData('welcome') });
    expect(job.status).toBe('SUCCEEDED');
    const { sqs } = createClients(api.cloud.config);
    const queueUrl = api.cloud.queues.email.url;

    // Act: SQS is at-least-once; deliver the same job's message again.
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify({ jobId: job.jobId, type: 'email' }) }));
    await waitForEmptyQueue(async () => {
      const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
      return Number(Attributes?.ApproximateNumberOfMessages) + Number(Attributes?.ApproximateNumberOfMessagesNotVisible);
    });

    // Assess
    expect(await messagesTo(api.cloud.inbox.storeUrl, to[0]!)).toHaveLength(1);
    const after = await api.request('GET', `/v1/jobs/${job.jobId}`);
    expect(after.body).toMatchObject({ status: 'SUCCEEDED', attempt: 1, result: { messageId: (job.result as { messageId: string }).messageId } });
  });

  it('serves the web inbox the README points to', async () => {
    const page = await fetch(api.cloud.inbox.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect(Array.isArray(await readInbox(api.cloud.inbox.storeUrl))).toBe(true);
  });
});

describe('E2E: e-mail payloads refused at enqueue, naming the field', () => {
  const valid = () => ({ to: ['a@example.com'], template: 'welcome', data: templateData('welcome') });

  it.each([
    ['a CR/LF in a recipient', { to: ['a@example.com\r\nBcc: victim@example.com'] }, 'payload.to.0'],
    ['a LF in cc', { cc: ['b@example.com\nX-Injected: 1'] }, 'payload.cc.0'],
    ['a CR/LF in replyTo', { replyTo: 'r@example.com\r\nBcc: v@example.com' }, 'payload.replyTo'],
    ['a CR/LF in the subject', { subject: 'Hello\r\nBcc: victim@example.com' }, 'payload.subject'],
    ['a display name as recipient', { to: ['Eve <eve@example.com>'] }, 'payload.to.0'],
    ['two addresses in one', { to: ['a@example.com,b@example.com'] }, 'payload.to.0'],
    ['a sender in the payload', { from: 'ceo@example.com' }, 'payload.from'],
    ['51 recipients', { to: Array.from({ length: 51 }, (_, i) => `r${i}@example.com`) }, 'payload.to'],
    ['51 across to, cc and bcc', { to: ['a@example.com'], cc: Array.from({ length: 25 }, (_, i) => `c${i}@example.com`), bcc: Array.from({ length: 25 }, (_, i) => `b${i}@example.com`) }, 'payload.to'],
    ['no recipient', { to: [] }, 'payload.to'],
    ['an unknown template', { template: 'spam' }, 'payload.template'],
    ['a CR/LF in a value the subject uses', { data: templateData('welcome', { name: 'Bob\r\nBcc: v@example.com' }) }, 'payload.data.name'],
    ['a javascript: link', { data: templateData('welcome', { loginUrl: 'javascript:alert(1)' }) }, 'payload.data.loginUrl'],
    ['a missing template field', { template: 'password-reset', data: { name: 'Bob', resetUrl: 'https://x.example.com' } }, 'payload.data.expiresInMinutes'],
    ['an overlong name', { data: templateData('welcome', { name: 'x'.repeat(101) }) }, 'payload.data.name'],
    ['a digest of 51 items', { template: 'daily-digest', data: templateData('daily-digest', { items: Array.from({ length: 51 }, (_, i) => ({ title: `t${i}` })) }) }, 'payload.data.items'],
  ])('400 for %s', async (_label, change, path) => {
    // Act
    const response = await api.request('POST', '/v1/jobs', { body: { type: 'email', payload: { ...valid(), ...change } } });

    // Assess
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('VALIDATION_FAILED');
    expect(response.body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });
});

async function waitForEmptyQueue(count: () => Promise<number>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await count()) === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the queue did not drain');
}
