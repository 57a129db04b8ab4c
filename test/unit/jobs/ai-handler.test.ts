import { describe, expect, it, vi } from 'vitest';
import { LOCAL_MODEL_NOTICE, LocalTextModel } from '../../../functions/adapters/local-text-model.js';
import { createAiHandler, type AiResult } from '../../../functions/jobs/ai/handler.js';
import type { JobContext } from '../../../functions/worker/context.js';
import { PermanentJobError, RetryableJobError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { aiJob, type AiPayload } from '../../../shared/jobs/ai.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { unlimited, type RateLimiter } from '../../../shared/ports/rate-limiter.js';
import type { TextModel } from '../../../shared/ports/text-model.js';

function context(tenant = 'acme'): JobContext {
  return { jobId: 'j', tenant, type: 'ai', attempt: 1, maxAttempts: 5, signal: new AbortController().signal, logger: silentLogger, progress: vi.fn(async () => undefined) };
}

const NOW = () => new Date('2026-12-06T08:00:00Z');

function handler(overrides: { model?: TextModel; limiter?: RateLimiter } = {}) {
  return createAiHandler({ model: overrides.model ?? new LocalTextModel(), limiter: overrides.limiter ?? unlimited, chatLimit: { limit: 2, windowSeconds: 60 }, now: NOW });
}

/** The payload as the worker hands it over: parsed by the definition's schema (defaults applied). */
function parsed(payload: Record<string, unknown>): AiPayload {
  return aiJob.payload.parse(payload);
}

type Of<T extends AiResult['task']> = Extract<AiResult, { task: T }>;

describe('Function: createAiHandler (local model)', () => {
  it('writes a daily briefing with a section per category, high priority first, and says the model was local', async () => {
    // Prepare
    const payload = parsed({
      task: 'daily-briefing',
      items: [
        { title: 'Churn ticked up', summary: 'Two enterprise accounts left.', category: 'Customers' },
        { title: 'Release 4.2 shipped', category: 'Engineering' },
        { title: 'Outage post-mortem due', category: 'Engineering', priority: 'high' },
      ],
    });

    // Act
    const result = (await handler()(payload, context())) as Of<'daily-briefing'>;

    // Assess
    expect(result.date).toBe('2026-12-06');
    expect(result.text.startsWith(LOCAL_MODEL_NOTICE)).toBe(true);
    expect(result.sections).toEqual([
      { heading: 'Customers', bullets: ['Churn ticked up: Two enterprise accounts left.'] },
      { heading: 'Engineering', bullets: ['[high] Outage post-mortem due', 'Release 4.2 shipped'] },
    ]);
    expect(result.model).toEqual({ provider: 'local', modelId: 'conveyor-local-echo' });
    expect(result.usage.totalTokens).toBe(result.usage.inputTokens + result.usage.outputTokens);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it('ranks insights by the size of each metric’s change, up to the limit', async () => {
    // Prepare
    const payload = parsed({
      task: 'insight-generation',
      limit: 2,
      metrics: [
        { name: 'signups', value: 105, previous: 100 },
        { name: 'revenue', value: 80, previous: 100, unit: 'kEUR' },
        { name: 'churn', value: 4 },
      ],
    });

    // Act
    const result = (await handler()(payload, context())) as Of<'insight-generation'>;

    // Assess
    expect(result.insights).toEqual([
      { rank: 1, title: 'revenue', detail: '80 kEUR (was 100 kEUR, -20.0%)' },
      { rank: 2, title: 'signups', detail: '105 (was 100, +5.0%)' },
    ]);
  });

  it('answers a conversation within its token limit, marking a cut reply max_tokens', async () => {
    // Prepare
    const payload = parsed({ task: 'chat-response', messages: [{ role: 'user', content: 'What changed in release 4.2 and why does it matter to our biggest customers?' }], maxTokens: 8 });

    // Act
    const result = (await handler()(payload, context())) as Of<'chat-response'>;

    // Assess
    expect(result.message.role).toBe('assistant');
    expect(result.message.content.split(/\s+/)).toHaveLength(8);
    expect(result.stopReason).toBe('max_tokens');
  });

  it('limits chat replies per tenant through the limiter: over it, a retryable RATE_LIMITED failure', async () => {
    // Prepare: a limiter that counts per key
    const taken = new Map<string, number>();
    const limiter: RateLimiter = {
      enabled: true,
      take: async (key, rule) => {
        const used = (taken.get(key) ?? 0) + 1;
        taken.set(key, used);
        return used <= rule.limit ? { allowed: true, remaining: rule.limit - used, retryAfterMs: 0 } : { allowed: false, remaining: 0, retryAfterMs: 30_000 };
      },
    };
    const chat = handler({ limiter });
    const payload = parsed({ task: 'chat-response', messages: [{ role: 'user', content: 'hi' }] });

    // Act
    await chat(payload, context('acme'));
    await chat(payload, context('acme'));
    const third = await chat(payload, context('acme')).catch((error: unknown) => error);
    const otherTenant = await chat(payload, context('globex'));

    // Assess
    expect(third).toBeInstanceOf(RetryableJobError);
    expect(third).toMatchObject({ code: 'RATE_LIMITED' });
    expect(otherTenant.task).toBe('chat-response');
    expect([...taken.keys()]).toEqual(['ai:chat:tenant:acme', 'ai:chat:tenant:globex']);
  });

  it('replies when the limiter is down (a limiter must not stop the queue)', async () => {
    // Prepare
    const limiter: RateLimiter = { enabled: true, take: () => Promise.reject(new DependencyUnavailableError('upstash', 'down')) };

    // Act
    const result = await handler({ limiter })(parsed({ task: 'chat-response', messages: [{ role: 'user', content: 'hi' }] }), context());

    // Assess
    expect(result.task).toBe('chat-response');
  });

  it('computes the numerical tasks without calling the model', async () => {
    // Prepare
    const model: TextModel = { provider: 'bedrock', modelId: 'm', generate: vi.fn() };

    // Act
    const forecast = (await handler({ model })(parsed({ task: 'demand-forecast', series: [10, 12, 14, 16], horizon: 2 }), context())) as Of<'demand-forecast'>;
    const anomalies = (await handler({ model })(parsed({ task: 'anomaly-detection', series: [5, 5, 5, 5, 5, 40, 5] }), context())) as Of<'anomaly-detection'>;

    // Assess
    expect(forecast.forecast.map((p) => p.value)).toEqual([18, 20]);
    expect(anomalies.anomalies.map((a) => a.index)).toEqual([5]);
    expect(model.generate).not.toHaveBeenCalled();
  });

  it('passes the model’s permanent failures through (a content filter ends the job FAILED)', async () => {
    // Prepare
    const model: TextModel = { provider: 'bedrock', modelId: 'm', generate: () => Promise.reject(new PermanentJobError('withheld (stopReason content_filtered)', 'CONTENT_FILTERED')) };

    // Act
    const failure = await handler({ model })(parsed({ task: 'chat-response', messages: [{ role: 'user', content: 'hi' }] }), context()).catch((error: unknown) => error);

    // Assess
    expect(failure).toMatchObject({ code: 'CONTENT_FILTERED' });
  });
});

describe('Schema: ai payload', () => {
  it('names the wrong field of each task', () => {
    // Act
    const noHorizon = aiJob.payload.safeParse({ task: 'demand-forecast', series: [1, 2, 3] });
    const assistantLast = aiJob.payload.safeParse({ task: 'chat-response', messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }] });
    const unknownTask = aiJob.payload.safeParse({ task: 'poetry' });

    // Assess
    expect(noHorizon.error?.issues.map((i) => i.path.join('.'))).toEqual(['horizon']);
    expect(assistantLast.error?.issues.map((i) => i.path.join('.'))).toEqual(['messages']);
    expect(unknownTask.error?.issues.map((i) => i.path.join('.'))).toEqual(['task']);
  });
});
