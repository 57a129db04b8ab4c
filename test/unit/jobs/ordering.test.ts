import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineJob } from '../../../shared/jobs/define.js';
import { deadLetterQueueName, eventSourceSettingsOf, queueSettingsOf, resourceNames } from '../../../shared/jobs/derived.js';
import { messageGroupIdOf } from '../../../shared/jobs/ordering.js';
import { enqueueRequestSchema } from '../../../shared/jobs/registry.js';
import { analysisPayload } from '../../helpers/factories.js';

const payload = z.object({ account: z.string() }).strict();

describe('Function: defineJob (ordering: fifo)', () => {
  it('accepts a FIFO type within Lambda\'s FIFO limits, standard by default', () => {
    // Act
    const fifo = defineJob({ type: 'ledger', description: 'x', payload, settings: { ordering: 'fifo', batchSize: 10, maxAttempts: 5 } });
    const plain = defineJob({ type: 'plain', description: 'x', payload });

    // Assess
    expect(fifo.settings.ordering).toBe('fifo');
    expect(plain.settings.ordering).toBe('standard');
  });

  it.each([
    [{ batchSize: 11, batchingWindowSeconds: 1 }, /batchSize: a FIFO job type reads batches of at most 10/],
    [{ batchingWindowSeconds: 2 }, /batchingWindowSeconds: a FIFO job type has no batching window/],
    [{ batchSize: 10, maxAttempts: 60 }, /maxAttempts: a FIFO job type needs maxAttempts × \(9 \+ batchSize\) ≤ 1000/],
  ])('refuses %j on a FIFO type, naming the type and the field', (settings, message) => {
    expect(() => defineJob({ type: 'ledger', description: 'x', payload, settings: { ordering: 'fifo', ...settings } })).toThrow(message);
    expect(() => defineJob({ type: 'ledger', description: 'x', payload, settings: { ordering: 'fifo', ...settings } })).toThrow(/defineJob\("ledger"\)/);
  });

  it('refuses priorities on a FIFO type: lanes would split a group', () => {
    expect(() => defineJob({ type: 'ledger', description: 'x', payload, settings: { ordering: 'fifo', priorities: true } })).toThrow(/defineJob\("ledger"\).*ordering: a FIFO job type cannot have priorities/);
  });
});

describe('Function: queueSettingsOf (FIFO)', () => {
  it('derives FIFO queue attributes and a receive budget that covers records held behind failed ones', () => {
    // Prepare
    const fifo = defineJob({ type: 'ledger', description: 'x', payload, settings: { ordering: 'fifo', batchSize: 4, maxAttempts: 6 } });
    const plain = defineJob({ type: 'plain', description: 'x', payload, settings: { batchSize: 4, maxAttempts: 6 } });

    // Act
    const fifoSettings = queueSettingsOf(fifo);
    const plainSettings = queueSettingsOf(plain);

    // Assess: 10 receives per attempt, plus one per failed run of each of the 3 jobs that can be ahead in a batch
    expect(fifoSettings.fifo).toEqual({ contentBasedDeduplication: false, deduplicationScope: 'messageGroup', fifoThroughputLimit: 'perMessageGroupId' });
    expect(fifoSettings.maxReceiveCount).toBe((10 + 3) * 6);
    expect(plainSettings.fifo).toBeUndefined();
    expect(plainSettings.maxReceiveCount).toBe(10 * 6);
    expect(eventSourceSettingsOf(fifo)).toMatchObject({ batchSize: 4, batchingWindowSeconds: 0, reportBatchItemFailures: true });
  });

  it('names a FIFO type\'s queue and DLQ with the .fifo suffix SQS requires', () => {
    expect(resourceNames('prod', 'ledger', 'fifo')).toEqual({ queue: 'conveyor-prod-ledger.fifo', dlq: 'conveyor-prod-ledger-dlq.fifo' });
    expect(resourceNames('prod', 'email')).toEqual({ queue: 'conveyor-prod-email', dlq: 'conveyor-prod-email-dlq' });
    expect(deadLetterQueueName('conveyor-local-ledger.fifo')).toBe('conveyor-local-ledger-dlq.fifo');
  });
});

describe('Function: messageGroupIdOf', () => {
  it('is a valid SQS MessageGroupId, the same for the same tenant and key', () => {
    const id = messageGroupIdOf('acme', 'order-42');
    expect(id).toMatch(/^[\x21-\x7e]{1,128}$/);
    expect(messageGroupIdOf('acme', 'order-42')).toBe(id);
  });

  it('scopes groups by tenant, and a tenant\'s default group is not any of its keyed groups', () => {
    expect(messageGroupIdOf('acme', 'order-42')).not.toBe(messageGroupIdOf('globex', 'order-42'));
    expect(messageGroupIdOf('a/b', 'c')).not.toBe(messageGroupIdOf('a', 'b/c'));
    expect(messageGroupIdOf('acme')).not.toBe(messageGroupIdOf('acme', 'acme'));
  });
});

describe('Schema: enqueue groupKey', () => {
  it.each(['order-42', 'a', 'x'.repeat(128), 'user:7/cart#3'])('accepts %j', (groupKey) => {
    expect(enqueueRequestSchema.safeParse({ type: 'analysis', payload: analysisPayload(), groupKey }).success).toBe(true);
  });

  it.each([['', 'empty'], ['x'.repeat(129), 'too long'], ['has space', 'a space'], ['café', 'non-ASCII'], [42, 'a number']])('refuses %j (%s), naming groupKey', (groupKey: unknown, _why: string) => {
    const parsed = enqueueRequestSchema.safeParse({ type: 'analysis', payload: analysisPayload(), groupKey });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain('groupKey');
    expect(parsed.error?.issues.find((i) => i.path.join('.') === 'groupKey')?.message).toMatch(/groupKey must be/);
  });
});
