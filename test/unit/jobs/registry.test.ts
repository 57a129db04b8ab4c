import { requestedPriority } from '../../../shared/jobs/priority.js';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineJob } from '../../../shared/jobs/define.js';
import { queueSettingsOf } from '../../../shared/jobs/derived.js';
import { enqueueRequestSchema, JOB_TYPES, jobRegistry } from '../../../shared/jobs/registry.js';
import { analysisPayload } from '../../helpers/factories.js';

describe('Function: defineJob', () => {
  it('fills unset settings with defaults and freezes the definition', () => {
    // Act
    const job = defineJob({ type: 'thumbnail', description: 'x', payload: z.object({}), settings: { timeoutSeconds: 10 } });

    // Assess
    expect(job.settings.timeoutSeconds).toBe(10);
    expect(job.settings.maxAttempts).toBe(3);
    expect(Object.isFrozen(job)).toBe(true);
  });

  it('rejects a batch over 10 without a batching window, naming the type and the field', () => {
    // Act & Assess
    expect(() => defineJob({ type: 'bulk', description: 'x', payload: z.object({}), settings: { batchSize: 50 } })).toThrow(
      /defineJob\("bulk"\).*batchingWindowSeconds/,
    );
  });

  it('rejects maxConcurrency below the AWS floor of 2', () => {
    expect(() => defineJob({ type: 'solo', description: 'x', payload: z.object({}), settings: { maxConcurrency: 1 } })).toThrow(/maxConcurrency/);
  });

  it('reserves "webhooks", the name the webhook queue is operated under', () => {
    expect(() => defineJob({ type: 'webhooks', description: 'x', payload: z.object({}) })).toThrow(/reserved/);
  });

  it('rejects a job type name that cannot become a queue name', () => {
    expect(() => defineJob({ type: 'Bad Name', description: 'x', payload: z.object({}) })).toThrow(/job type must be lowercase/);
  });
});

describe('Function: queueSettingsOf', () => {
  it('derives visibility as 6 × timeout + batching window and a safety-net maxReceiveCount of 10 receives per attempt', () => {
    // Prepare
    const job = defineJob({ type: 'x', description: 'x', payload: z.object({}), settings: { timeoutSeconds: 40, batchingWindowSeconds: 5, batchSize: 20, maxAttempts: 7 } });

    // Act
    const derived = queueSettingsOf(job);

    // Assess
    expect(derived.visibilityTimeoutSeconds).toBe(245);
    expect(derived.maxReceiveCount).toBe(70);
    expect(queueSettingsOf(defineJob({ type: 'y', description: 'y', payload: z.object({}), settings: { maxAttempts: 1 } })).maxReceiveCount).toBe(10);
    expect(derived.dlqRetentionSeconds).toBeGreaterThan(derived.retentionSeconds);
  });
});

describe('Schema: enqueueRequestSchema', () => {
  it('registers analysis, email, pdf, notification and ai', () => {
    expect(JOB_TYPES).toEqual(['analysis', 'email', 'pdf', 'notification', 'ai']);
    expect(jobRegistry.analysis.type).toBe('analysis');
  });

  it('accepts a valid analysis request', () => {
    const result = enqueueRequestSchema.safeParse({ type: 'analysis', payload: analysisPayload({ priority: 'high' }) });
    expect(result.success).toBe(true);
  });

  it('takes a top-level priority for a type with priorities, alone or agreeing with payload.priority', () => {
    // Act
    const alone = enqueueRequestSchema.safeParse({ type: 'analysis', payload: analysisPayload(), priority: 'low' });
    const agreeing = enqueueRequestSchema.safeParse({ type: 'analysis', payload: analysisPayload({ priority: 'high' }), priority: 'high' });

    // Assess
    expect(alone.success && requestedPriority(alone.data)).toBe('low');
    expect(agreeing.success && requestedPriority(agreeing.data)).toBe('high');
    expect(requestedPriority({ payload: analysisPayload({ priority: 'high' }) })).toBe('high');
    expect(requestedPriority({ payload: analysisPayload() })).toBe('normal');
  });

  it('says why a type without priorities refuses one', () => {
    // Act
    const result = enqueueRequestSchema.safeParse({ type: 'email', payload: { to: ['a@example.com'], template: 'welcome', data: { name: 'A', loginUrl: 'https://x.example' } }, priority: 'low' });

    // Assess
    expect(result.success).toBe(false);
    expect(result.error!.issues).toEqual([expect.objectContaining({ path: ['priority'], message: 'job type "email" has no priorities (its definition does not set priorities: true)' })]);
  });

  it.each([
    ['an unknown type', { type: 'nope', payload: {} }, 'type'],
    ['an unknown top-level field', { type: 'analysis', payload: analysisPayload(), extra: 1 }, 'extra'],
    ['an unknown payload field', { type: 'analysis', payload: analysisPayload({ admin: true }) }, 'payload.admin'],
    ['a non-http url', { type: 'analysis', payload: analysisPayload({ url: 'file:///etc/passwd' }) }, 'payload.url'],
    ['a bad priority', { type: 'analysis', payload: analysisPayload({ priority: 'urgent' }) }, 'payload.priority'],
    ['a bad priority option', { type: 'analysis', payload: analysisPayload(), priority: 'urgent' }, 'priority'],
    ['a priority for a type without priorities', { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } }, priority: 'high' }, 'priority'],
    ['a priority that disagrees with payload.priority', { type: 'analysis', payload: analysisPayload({ priority: 'low' }), priority: 'high' }, 'priority'],
  ])('rejects %s', (_name, body, expectedPath) => {
    // Act
    const result = enqueueRequestSchema.safeParse(body);

    // Assess
    expect(result.success).toBe(false);
    const paths = result.error!.issues.flatMap((i) => {
      const base = i.path.join('.');
      return 'keys' in i && Array.isArray(i.keys) ? i.keys.map((k) => (base ? `${base}.${String(k)}` : String(k))) : [base];
    });
    expect(paths).toContain(expectedPath);
  });
});
