import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SesEmailClient } from '../../../functions/adapters/aws/ses-email-client.js';
import { SesMailer } from '../../../functions/adapters/aws/ses-mailer.js';
import { createEmailHandler } from '../../../functions/jobs/email/handler.js';
import { JobWorker } from '../../../functions/worker/job-worker.js';
import { FollowUpFlusher } from '../../../functions/follow-ups/follow-ups.js';
import { jobRegistry } from '../../../shared/jobs/registry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ConsumerQueue } from '../../../shared/ports/job-queue.js';
import { templateData } from '../../helpers/email-payloads.js';
import { invocation, queuedJob, receivedAgain, sqsEvent, sqsRecord } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';
import { MemorySideEffectLedger } from '../../helpers/memory-side-effects.js';
import { refusingEndpoint, startScriptedServer, type ScriptedServer } from '../../helpers/scripted-server.js';

const SENDER = 'Conveyor <no-reply@conveyor.test>';
/** SES's answers, scripted per test on a local HTTP server (test/helpers/scripted-server.ts). */
let ses: ScriptedServer;

beforeAll(async () => {
  ses = await startScriptedServer({ status: 500, body: '{"message":"no answer scripted"}' });
});

afterAll(async () => {
  await ses.close();
});

const accepted = (messageId: string) => ({ status: 200, body: JSON.stringify({ MessageId: messageId }), headers: { 'content-type': 'application/json' } });
const sesError = (status: number, name: string, message: string) => ({ status, body: JSON.stringify({ message }), headers: { 'content-type': 'application/json', 'x-amzn-errortype': name } });
/** The SendEmail requests SES received, as JSON. */
const sendEmailCalls = () => ses.received.filter((r) => r.method === 'POST' && r.url === '/v2/email/outbound-emails').map((r) => JSON.parse(new TextDecoder().decode(r.body)) as Record<string, unknown>);

function setup(options: { endpoint?: string; requestTimeoutMs?: number } = {}) {
  const store = new MemoryJobStore();
  const ledger = new MemorySideEffectLedger(store);
  const queue: ConsumerQueue & { changeVisibility: ReturnType<typeof vi.fn> } = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined), deadLetter: vi.fn(async () => undefined) };
  const client = new SesEmailClient({ region: 'us-east-1', endpoint: options.endpoint ?? ses.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, requestTimeoutMs: options.requestTimeoutMs ?? 10_000 });
  const handler = createEmailHandler({ mailer: new SesMailer({ client }), ledger, sender: SENDER, checkpointRetryMs: 1 });
  const worker = new JobWorker(jobRegistry.email, handler, { store, queue, followUps: new FollowUpFlusher({ store, logger: silentLogger }), logger: silentLogger, timeoutMarginMs: 1_000, random: () => 0.5 });
  const job = queuedJob({ type: 'email', maxAttempts: 5, payload: { to: ['a@example.com'], template: 'welcome', data: templateData('welcome') } });
  return { store, ledger, queue, worker, job };
}

describe('Function: email handler with SES (error paths, scripted SES server)', () => {
  afterEach(() => {
    ses.reset();
  });

  it('retries a throttled send with backoff and sends on the next delivery', async () => {
    // Prepare
    const { store, ledger, queue, worker, job } = setup();
    await store.create(job);
    ses.script.push(sesError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.'), accepted('msg-1'));

    // Act
    const delivery = sqsRecord(job, 1);
    const first = await worker.processBatch(sqsEvent(delivery), invocation());
    const afterFirst = await store.get(job.jobId);
    const markAfterFirst = await ledger.read(job.jobId);
    const second = await worker.processBatch(sqsEvent(receivedAgain(delivery, 2)), invocation());

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(afterFirst).toMatchObject({ status: 'RETRYING', error: { code: 'SES_THROTTLED', message: expect.stringContaining('Maximum sending rate exceeded.') } });
    expect(queue.changeVisibility).toHaveBeenCalledWith('email', expect.any(String), expect.any(Number), expect.stringMatching(/^arn:aws:sqs:/));
    expect(queue.changeVisibility.mock.calls[0]![2]).toBeGreaterThan(0);
    expect(markAfterFirst).toBeUndefined();
    expect(second.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2, result: { messageId: 'msg-1' } });
    expect(sendEmailCalls()).toHaveLength(2);
  });

  it('retries an SES 5xx', async () => {
    // Prepare
    const { store, worker, job } = setup();
    await store.create(job);
    ses.script.push(sesError(500, 'InternalServiceErrorException', 'Internal failure'));

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    expect(await store.get(job.jobId)).toMatchObject({ status: 'RETRYING', error: { code: 'SES_UNAVAILABLE' } });
  });

  it('ends FAILED with the provider message on a permanent rejection, without retrying', async () => {
    // Prepare
    const { store, queue, worker, job } = setup();
    await store.create(job);
    const providerMessage = 'Email address is not verified. The following identities failed the check in region US-EAST-1: no-reply@conveyor.test';
    ses.script.push(sesError(400, 'MessageRejected', providerMessage));

    // Act
    const response = await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const stored = await store.get(job.jobId);
    expect(stored).toMatchObject({ status: 'FAILED', error: { code: 'SES_REJECTED' } });
    expect(stored?.error?.message).toContain(providerMessage);
    expect(queue.changeVisibility).not.toHaveBeenCalled();
    expect(sendEmailCalls()).toHaveLength(1);
  });

  it('sends From the configured sender, never from the payload, with both parts', async () => {
    // Prepare
    const { store, worker, job } = setup();
    await store.create(job);
    ses.script.push(accepted('msg-2'));

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    const calls = sendEmailCalls();
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      FromEmailAddress: SENDER,
      Destination: { ToAddresses: ['a@example.com'] },
      Content: { Simple: expect.objectContaining({ Body: { Html: expect.objectContaining({ Data: expect.stringContaining('<!DOCTYPE html>') }), Text: expect.objectContaining({ Data: expect.any(String) }) } }) },
    });
  });

  it('acknowledges a redelivery after the message id was recorded, without sending again', async () => {
    // Prepare: the terminal write is lost once, as if the function died right after the checkpoint.
    const { store, worker, job } = setup();
    await store.create(job);
    ses.script.push(accepted('msg-3'));
    const transition = store.transition.bind(store);
    vi.spyOn(store, 'transition').mockImplementation(async (t) => {
      if (t.to === 'SUCCEEDED' && t.set?.attempt === 1) throw new Error('simulated crash before the terminal write');
      return transition(t);
    });

    // Act
    const delivery = sqsRecord(job, 1);
    const first = await worker.processBatch(sqsEvent(delivery), invocation());
    const second = await worker.processBatch(sqsEvent(receivedAgain(delivery, 2)), invocation());

    // Assess
    expect(first.batchItemFailures).toHaveLength(1);
    expect(second.batchItemFailures).toEqual([]);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'SUCCEEDED', attempt: 2, result: { messageId: 'msg-3', alreadySent: true } });
    expect(sendEmailCalls()).toHaveLength(1);
  });

  it('does not resend when an attempt died between the send and recording its id (DELIVERY_UNCERTAIN)', async () => {
    // Prepare: SES accepts, but the checkpoint write fails every try.
    const { store, ledger, worker, job } = setup();
    await store.create(job);
    ses.script.push(accepted('msg-4'));
    ledger.failCompletes = 3;

    // Act
    const delivery = sqsRecord(job, 1);
    await worker.processBatch(sqsEvent(delivery), invocation());
    const afterFirst = await store.get(job.jobId);
    await worker.processBatch(sqsEvent(receivedAgain(delivery, 2)), invocation());

    // Assess
    expect(afterFirst?.status).toBe('RETRYING');
    expect(await store.get(job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'DELIVERY_UNCERTAIN' } });
    expect(sendEmailCalls()).toHaveLength(1);
  });

  it('ends DELIVERY_UNCERTAIN, not retrying, when SES does not answer', async () => {
    // Prepare
    const { store, ledger, worker, job } = setup({ requestTimeoutMs: 300 });
    await store.create(job);
    ses.script.push('hold');

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    expect(await store.get(job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'DELIVERY_UNCERTAIN' } });
    expect(await ledger.read(job.jobId)).toMatchObject({ state: 'started', attempt: 1 });
  });

  it('retries when SES could not be reached at all (nothing was sent)', async () => {
    // Prepare
    const { store, ledger, worker, job } = setup({ endpoint: await refusingEndpoint() });
    await store.create(job);

    // Act
    await worker.processBatch(sqsEvent(sqsRecord(job, 1)), invocation());

    // Assess
    expect(await store.get(job.jobId)).toMatchObject({ status: 'RETRYING', error: { code: 'SES_UNREACHABLE' } });
    expect(await ledger.read(job.jobId)).toBeUndefined();
  });
});
