import { describe, expect, it } from 'vitest';
import { backoffCeilingSeconds, retryWindowSeconds, WEBHOOK_RETRY, webhookDelaySeconds, webhookRetryWindowSeconds } from '../../../shared/domain/retry.js';

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

  it('keeps completion webhooks trying for over two hours, never more than 15 minutes apart', () => {
    // Act
    const window = webhookRetryWindowSeconds();
    const waits = Array.from({ length: WEBHOOK_RETRY.maxAttempts - 1 }, (_, i) => backoffCeilingSeconds(WEBHOOK_RETRY.backoff, i + 1));

    // Assess: a receiver down for an hour-long deploy twice over still gets its webhooks
    expect(waits).toEqual([15, 30, 60, 120, 240, 480, 900, 900, 900, 900, 900, 900, 900, 900, 900]);
    expect(window.latest).toBe(9045);
    expect(window.earliest).toBeGreaterThanOrEqual(2 * 3600);
    expect(window.earliest).toBeLessThan(window.latest);
  });
});

describe('Function: webhookDelaySeconds', () => {
  it('waits the ceiling less at most a tenth of it', () => {
    const policy = { baseSeconds: 100, maxSeconds: 1000 };
    expect(webhookDelaySeconds(policy, 1, () => 0)).toBe(100);
    expect(webhookDelaySeconds(policy, 1, () => 0.999)).toBe(91);
    expect(webhookDelaySeconds(policy, 5, () => 0.5)).toBe(950);
  });
});
