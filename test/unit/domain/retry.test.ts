import { describe, expect, it } from 'vitest';
import { backoffCeilingSeconds, retryWindowSeconds, WEBHOOK_RETRY } from '../../../shared/domain/retry.js';

describe('Function: retryWindowSeconds', () => {
  it('adds the backoff ceilings between the attempts: the latest the last attempt can start', () => {
    // Prepare
    const policy = { baseSeconds: 5, maxSeconds: 30 };

    // Act
    const window = retryWindowSeconds(policy, 5);

    // Assess: waits after attempts 1–4 are at most 5, 10, 20 and 30 (capped) seconds
    expect([1, 2, 3, 4].map((attempt) => backoffCeilingSeconds(policy, attempt))).toEqual([5, 10, 20, 30]);
    expect(window).toBe(65);
    expect(retryWindowSeconds(policy, 1)).toBe(0);
  });

  it('gives completion webhooks about 10.6 minutes: 8 attempts, waits of at most 5 s doubling to 320 s', () => {
    expect(retryWindowSeconds(WEBHOOK_RETRY.backoff, WEBHOOK_RETRY.maxAttempts)).toBe(635);
  });
});
