import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisPayload } from '../helpers/factories.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/**
 * One job's path through the local cloud — API, consumer, webhook — read from the real log lines
 * the functions write (the cloud's `writeLog` sink), as CloudWatch Logs would hold them.
 */
type Line = Record<string, unknown>;
const lines: Line[] = [];
let api: ApiClient;
let receiver: Server;
let receiverUrl: string;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  api = await bootLocalCloud({
    logLevel: 'info',
    writeLog: (line) => lines.push(JSON.parse(line) as Line),
    // The handler logs what a job author might: an error with a cause, a BigInt, a cycle, a field named `level`.
    handlers: (real) => ({
      analysis: async (payload, context) => {
        const cyclic: Record<string, unknown> = { step: 'fetch' };
        cyclic.parent = cyclic;
        context.logger.warn('upstream hiccup, carrying on', {
          error: new Error('model call failed', { cause: new Error('socket hang up') }),
          tokens: 9007199254740993n,
          cyclic,
          level: 'not-a-level',
        });
        return real.analysis(payload, context);
      },
    }),
  });
});

afterAll(async () => {
  await api?.cloud.stop();
  await new Promise<void>((resolve) => receiver?.close(() => resolve()));
});

/** Waits for a line to appear (the webhook is delivered after the job's status is recorded). */
async function lineMatching(predicate: (line: Line) => boolean): Promise<Line> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = lines.find(predicate);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no such log line; saw ${lines.length}: ${JSON.stringify(lines.slice(-5))}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('E2E: logs of one job, API → consumer → webhook', () => {
  it('share one correlation id, carry the Lambda request id and cold start, and keep errors, BigInts and cycles', async () => {
    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload(), callbackUrl: `${receiverUrl}/done` }, headers: { 'x-correlation-id': 'checkout-7f3a' } });
    const jobId = posted.body.jobId as string;
    const job = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);
    const webhookLine = await lineMatching((l) => l.message === 'webhook delivered' && l.jobId === jobId);
    // The consumer answers after its flush (write, queue the webhook, clear the marker): the webhook may
    // be delivered before the consumer's last line.
    await lineMatching((l) => String(l.fn).startsWith('worker-') && l.jobId === jobId && l.message === 'delivery done');

    // Assess: the id is the caller's, stored on the job and shown by GET
    expect(posted.headers.get('x-correlation-id')).toBe('checkout-7f3a');
    expect(job).toMatchObject({ status: 'SUCCEEDED', correlationId: 'checkout-7f3a' });

    // the API's line for the POST
    const apiLine = lines.find((l) => l.fn === 'api' && l.message === 'request' && l.method === 'POST' && l.correlationId === 'checkout-7f3a');
    expect(apiLine).toMatchObject({ level: 'INFO', service: 'conveyor-local', status: 202, function_request_id: expect.any(String), cold_start: expect.any(Boolean) });

    // every consumer line of this job: job, type, tenant, attempt, correlation id, Lambda fields
    const consumerLines = lines.filter((l) => String(l.fn).startsWith('worker-') && l.jobId === jobId);
    expect(consumerLines.length).toBeGreaterThan(0);
    for (const line of consumerLines) {
      expect(line).toMatchObject({ correlationId: 'checkout-7f3a', type: 'analysis', tenant: 'dev', attempt: 1, function_request_id: expect.any(String), cold_start: expect.any(Boolean) });
    }
    expect(consumerLines.find((l) => l.message === 'delivery done')).toMatchObject({ level: 'INFO', outcome: 'succeeded', acknowledged: true });
    const handlerLine = consumerLines.find((l) => l.message === 'upstream hiccup, carrying on')!;
    expect(handlerLine).toMatchObject({
      level: 'WARN',
      field_level: 'not-a-level',
      tokens: '9007199254740993',
      cyclic: { step: 'fetch' },
      error: { name: 'Error', message: 'model call failed', cause: { name: 'Error', message: 'socket hang up' } },
    });
    expect(String((handlerLine.error as Line).stack)).toContain('observability.test.ts');
    expect(String(((handlerLine.error as Line).cause as Line).stack)).toContain('socket hang up');

    // the webhook consumer's line for the delivery
    expect(webhookLine).toMatchObject({ fn: 'webhooks', level: 'INFO', correlationId: 'checkout-7f3a', status: 204, function_request_id: expect.any(String) });

    // one correlation id across the three functions, each with its own Lambda request id
    const ids = new Set([apiLine, ...consumerLines, webhookLine].map((l) => l!.correlationId));
    expect([...ids]).toEqual(['checkout-7f3a']);
    expect(new Set([apiLine!.function_request_id, consumerLines[0]!.function_request_id, webhookLine.function_request_id]).size).toBe(3);
  });

  it('without a header, the correlation id is the API request id; each function\'s first invocation is its cold start', async () => {
    // Act
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload() } });
    const job = await api.waitForStatus(posted.body.jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    const correlationId = posted.headers.get('x-correlation-id');
    expect(correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.correlationId).toBe(correlationId);
    expect(lines.filter((l) => l.jobId === posted.body.jobId).every((l) => l.correlationId === correlationId)).toBe(true);
    const apiLines = lines.filter((l) => l.fn === 'api' && l.message === 'request');
    expect(apiLines[0]!.cold_start).toBe(true);
    expect(apiLines.slice(1).every((l) => l.cold_start === false)).toBe(true);
  });
});
