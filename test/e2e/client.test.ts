import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/processes.js';
import { createClient, JobFailedError, NotFoundError, RateLimitedError, ValidationError, type ConveyorClient } from 'conveyor/client';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import { PermanentJobError } from '../../shared/domain/errors.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { shopJobs, type ShopData } from '../../examples/shop/jobs.js';
import { contractFetch } from '../helpers/contract.js';
import { analysisPayload } from '../helpers/factories.js';
import { messagesTo } from '../helpers/inbox.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/** An analysis handler that fails permanently for tool ids starting with `fail`. */
async function analysis(payload: PayloadOf<'analysis'>, context: Parameters<typeof analysisHandler>[1]) {
  if (payload.toolId.startsWith('fail')) throw new PermanentJobError(`tool ${payload.toolId} is blocked`, 'TOOL_BLOCKED');
  return analysisHandler(payload, context);
}

let api: ApiClient;
let conveyor: ConveyorClient;

beforeAll(async () => {
  api = await bootLocalCloud({ logLevel: 'error', handlers: { analysis } });
  // Every response the client receives is checked against openapi.json.
  conveyor = createClient({ endpoint: api.cloud.apiUrl, apiKey: api.cloud.apiKey, fetch: contractFetch });
});

afterAll(async () => {
  await api?.cloud.stop();
});

describe('E2E: conveyor/client against a local cloud', () => {
  it('enqueues, waits with progress and returns the typed result', async () => {
    // Prepare
    const seen: number[] = [];

    // Act
    const { jobId, status } = await conveyor.enqueue('analysis', analysisPayload({ toolId: 'client-1' }));
    const result = await conveyor.wait(jobId, { timeoutMs: 30_000, intervalMs: 20, onProgress: (job) => seen.push(job.progress) });
    const job = await conveyor.get(jobId);

    // Assess
    expect(status).toBe('QUEUED');
    expect(result.toolId).toBe('client-1');
    expect(seen.at(-1)).toBe(100);
    expect(job).toMatchObject({ jobId, type: 'analysis', status: 'SUCCEEDED', result: { toolId: 'client-1' } });
  });

  it('sends a correlation id with an enqueue, a batch and an analyze request: the job carries it', async () => {
    // Act
    const single = await conveyor.enqueue('analysis', analysisPayload({ toolId: 'corr-1' }), { correlationId: 'checkout-7f3a' });
    const batch = await conveyor.enqueueBatch([{ type: 'analysis', payload: analysisPayload({ toolId: 'corr-2' }) }], { correlationId: 'import-2026-12' });
    const analyzed = await conveyor.analyze.enqueue(analysisPayload({ toolId: 'corr-3' }), { correlationId: 'review-9' });
    const [item] = batch.results;
    if (!item || !('jobId' in item)) throw new Error(`the batch item was refused: ${JSON.stringify(item)}`);

    // Assess
    expect((await conveyor.get(single.jobId)).correlationId).toBe('checkout-7f3a');
    expect((await conveyor.get(item.jobId)).correlationId).toBe('import-2026-12');
    expect((await conveyor.get(analyzed.jobId)).correlationId).toBe('review-9');
  });

  it('throws JobFailedError for a permanent failure, and retry puts the job back to QUEUED', async () => {
    // Prepare
    const { jobId } = await conveyor.enqueue('analysis', analysisPayload({ toolId: 'fail-1' }));

    // Act
    const failure = await conveyor.wait(jobId, { timeoutMs: 30_000, intervalMs: 20 }).catch((e: unknown) => e);
    const retried = await conveyor.retry(jobId, { payload: analysisPayload({ toolId: 'fixed-1' }) });
    const result = await conveyor.wait(jobId, { timeoutMs: 30_000, intervalMs: 20 });

    // Assess
    expect(failure).toBeInstanceOf(JobFailedError);
    expect((failure as JobFailedError).error).toMatchObject({ code: 'TOOL_BLOCKED' });
    expect(retried.status).toBe('QUEUED');
    expect(result.toolId).toBe('fixed-1');
  });

  it('maps the API errors to typed errors: ValidationError with issues, NotFoundError', async () => {
    // Act
    const invalid = await conveyor.enqueue('analysis', { ...analysisPayload(), url: 'ftp://example.com' }).catch((e: unknown) => e);
    const missing = await conveyor.get('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);

    // Assess
    expect(invalid).toBeInstanceOf(ValidationError);
    expect((invalid as ValidationError).issues.map((i) => i.path)).toContain('payload.url');
    expect(missing).toBeInstanceOf(NotFoundError);
  });

  it('replays an idempotent enqueue, enqueues a batch, lists page by page and cancels', async () => {
    // Act
    const first = await conveyor.enqueue('analysis', analysisPayload({ toolId: 'keyed' }), { idempotencyKey: 'client-e2e-keyed', delaySeconds: 900 });
    const again = await conveyor.enqueue('analysis', analysisPayload({ toolId: 'keyed' }), { idempotencyKey: 'client-e2e-keyed', delaySeconds: 900 });
    const batch = await conveyor.enqueueBatch([
      { type: 'analysis', payload: analysisPayload({ toolId: 'batch-1' }) },
      { type: 'analysis', payload: analysisPayload({ toolId: 'batch-2' }) },
    ]);
    const ids: string[] = [];
    for await (const page of conveyor.list({ type: 'analysis', limit: 2 })) ids.push(...page.jobs.map((j) => j.jobId));
    const cancelled = await conveyor.cancel(first.jobId);

    // Assess
    expect(again).toMatchObject({ jobId: first.jobId, replayed: true });
    expect(batch).toMatchObject({ accepted: 2, rejected: 0 });
    expect(ids).toContain(first.jobId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(cancelled.status).toBe('CANCELLED');
  });
});

describe('E2E: conveyor/client and the rate limit', () => {
  let limited: ApiClient;
  beforeAll(async () => {
    limited = await bootLocalCloud({ logLevel: 'error', rateLimits: { tenantEnqueue: { limit: 1, windowSeconds: 60 } } });
  });
  afterAll(async () => {
    await limited?.cloud.stop();
  });

  it('surfaces a 429 whose Retry-After is longer than it waits as RateLimitedError, without retrying', async () => {
    // Prepare: the tenant's one enqueue per minute is spent (waiting it out is covered by the unit tests)
    const statuses: number[] = [];
    const recording: typeof fetch = async (input, init) => {
      const response = await contractFetch(input, init);
      statuses.push(response.status);
      return response;
    };
    const client = createClient({ endpoint: limited.cloud.apiUrl, apiKey: limited.cloud.apiKey, fetch: recording });
    await client.enqueue('analysis', analysisPayload({ toolId: 'budget-1' }));

    // Act
    const refused = await client.enqueue('analysis', analysisPayload({ toolId: 'budget-2' })).catch((e: unknown) => e);

    // Assess: 60 s is beyond the default 30 s the client waits, so the caller decides
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).retryAfterSeconds).toBeGreaterThan(30);
    expect(statuses).toEqual([202, 429]);
  });
});

describe('E2E: the example shop application', () => {
  const ada = { id: 'u-1', name: 'Ada', email: 'ada-shop@example.com' };
  const order = { id: 'o-1', number: '1001', placedOn: '2026-12-06', currency: 'GBP', customer: ada, lines: [{ description: 'Engine kit', quantity: 2, unitPrice: 10.5 }] };
  const data: ShopData = { user: (id) => (id === ada.id ? ada : undefined), order: (id) => (id === order.id ? order : undefined), deal: () => ({ id: 'd-1', company: 'Acme', website: 'https://acme.example.com', notes: 'Fast tools for developers.' }) };

  it('queues a confirmation e-mail once per order, an invoice PDF and a daily brief, and each one succeeds', async () => {
    // Prepare
    const jobs = shopJobs(conveyor, data);

    // Act
    const email = await jobs.queueOrderConfirmationEmail(order.id, ada.id);
    const duplicate = await jobs.queueOrderConfirmationEmail(order.id, ada.id);
    const invoice = await jobs.queueInvoicePdf(order);
    const brief = await jobs.queueDailyBrief('d-1');
    const sent = await conveyor.wait(email, { timeoutMs: 30_000, intervalMs: 20 });
    const pdf = await conveyor.wait(invoice, { timeoutMs: 60_000, intervalMs: 20 });
    const analysed = await conveyor.wait(brief, { timeoutMs: 30_000, intervalMs: 20 });

    // Assess
    expect(duplicate).toBe(email);
    expect(sent.recipients).toBe(1);
    expect(await messagesTo(api.cloud.inbox.storeUrl, ada.email)).toEqual([expect.objectContaining({ subject: 'Order 1001 confirmed' })]);
    expect(pdf).toMatchObject({ kind: 'invoice', pages: 1 });
    expect((await conveyor.get(invoice)).download?.contentType).toBe('application/pdf');
    expect(analysed.toolId).toBe('d-1');
  });

  it('runs examples/shop/main.ts against the local cloud', async () => {
    // Act
    const run = await runProcess(process.execPath, ['--import', 'tsx', 'examples/shop/main.ts'], { env: { ...process.env, CONVEYOR_ENDPOINT: api.cloud.apiUrl, CONVEYOR_API_KEY: api.cloud.apiKey } });

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/confirmation e-mail sent: \S+/);
    expect(run.stdout).toMatch(/invoice: 1 page\(s\), http/);
    expect(run.stdout).toMatch(/daily brief: (positive|neutral|negative)/);
  }, 120_000);
});
