import { describe, expect, it, vi } from 'vitest';
import { withProviderThrottle } from '../../../functions/scheduling/provider-throttle.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { JsonLogger } from '../../../shared/logging/logger.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { RateLimiter } from '../../../shared/ports/rate-limiter.js';
import { queuedJob, sqsRecord } from '../../helpers/factories.js';

const limit = { provider: 'ses', limit: 1, windowSeconds: 1 } as const;
const context = { getRemainingTimeInMillis: () => 30_000 };
const logger = new JsonLogger({ level: 'silent' });

function fakes(decide: () => Promise<{ allowed: boolean; remaining: number; retryAfterMs: number }>) {
  const limiter: RateLimiter = { enabled: true, take: vi.fn(decide) };
  const queue = { send: vi.fn(async () => undefined), changeVisibility: vi.fn(async () => undefined) } satisfies JobQueue;
  const inner = vi.fn(async () => ({ batchItemFailures: [] }));
  return { limiter, queue, inner };
}

describe('Function: withProviderThrottle', () => {
  it('requeues a throttled first delivery with a delay and acknowledges it (no attempt used)', async () => {
    // Prepare
    const { limiter, queue, inner } = fakes(async () => ({ allowed: false, remaining: 0, retryAfterMs: 400 }));
    const record = sqsRecord(queuedJob(), 1);
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger, random: () => 0 });

    // Act
    const response = await handler({ Records: [record] }, context);

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(inner).not.toHaveBeenCalled();
    expect(queue.send).toHaveBeenCalledWith(JSON.parse(record.body), { delaySeconds: 1 });
    expect(queue.changeVisibility).not.toHaveBeenCalled();
  });

  it('delays a throttled retry delivery by visibility and reports it failed (its receive count is its attempt)', async () => {
    const { limiter, queue, inner } = fakes(async () => ({ allowed: false, remaining: 0, retryAfterMs: 2_500 }));
    const job = queuedJob();
    const record = sqsRecord(job, 2);
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger, random: () => 0 });

    const response = await handler({ Records: [record] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(queue.send).not.toHaveBeenCalled();
    expect(queue.changeVisibility).toHaveBeenCalledWith(job.type, record.receiptHandle, 3, record.eventSourceARN);
  });

  it('runs allowed records and passes their failures through', async () => {
    let calls = 0;
    const { limiter, queue, inner } = fakes(async () => ({ allowed: calls++ === 0, remaining: 0, retryAfterMs: 100 }));
    const [first, second] = [sqsRecord(queuedJob(), 1), sqsRecord(queuedJob(), 1)];
    inner.mockResolvedValueOnce({ batchItemFailures: [{ itemIdentifier: first.messageId }] } as never);
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger });

    const response = await handler({ Records: [first, second] }, context);

    expect(inner).toHaveBeenCalledWith({ Records: [first] }, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: first.messageId }]);
    expect(queue.send).toHaveBeenCalledTimes(1);
  });

  it('fails open when the limiter is down', async () => {
    const { limiter, queue, inner } = fakes(async () => {
      throw new DependencyUnavailableError('upstash', 'down');
    });
    const record = sqsRecord(queuedJob(), 1);
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger });

    await handler({ Records: [record] }, context);

    expect(inner).toHaveBeenCalledWith({ Records: [record] }, context);
  });

  it('falls back to the visibility delay when the copy cannot be sent', async () => {
    const { limiter, queue, inner } = fakes(async () => ({ allowed: false, remaining: 0, retryAfterMs: 100 }));
    queue.send.mockRejectedValueOnce(new DependencyUnavailableError('sqs', 'down'));
    const record = sqsRecord(queuedJob(), 1);
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger, random: () => 0 });

    const response = await handler({ Records: [record] }, context);

    expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(queue.changeVisibility).toHaveBeenCalledTimes(1);
  });

  it('keeps a requeued copy in its fair-queue group', async () => {
    // Prepare: a standard-queue record of a group (fair queue)
    const { limiter, queue, inner } = fakes(async () => ({ allowed: false, remaining: 0, retryAfterMs: 400 }));
    const base = sqsRecord(queuedJob(), 1);
    const record = { ...base, attributes: { ...base.attributes, MessageGroupId: 'g-1' } };
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger, random: () => 0 });

    // Act
    await handler({ Records: [record] }, context);

    // Assess
    expect(queue.send).toHaveBeenCalledWith({ ...JSON.parse(record.body), group: 'g-1' }, { delaySeconds: 1 });
  });

  it('on a FIFO queue, delays a throttled record by visibility (no copy) and holds the rest of its group', async () => {
    // Prepare: group A's first record is over the limit; a2 is behind it; b1 is another group
    let calls = 0;
    const { limiter, queue, inner } = fakes(async () => ({ allowed: calls++ > 0, remaining: 0, retryAfterMs: 2_500 }));
    const fifo = (group: string) => {
      const base = sqsRecord(queuedJob(), 1, { eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:conveyor-test-analysis.fifo' });
      return { ...base, attributes: { ...base.attributes, MessageGroupId: group } };
    };
    const [a1, a2, b1] = [fifo('A'), fifo('A'), fifo('B')];
    const handler = withProviderThrottle(inner, { limiter, limit, queue, logger, random: () => 0 });

    // Act
    const response = await handler({ Records: [a1, a2, b1] }, context);

    // Assess: only b1 runs; a1 waits by visibility, a2 goes back at once behind it; nothing re-sent
    expect(inner).toHaveBeenCalledWith({ Records: [b1] }, context);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: a1.messageId }, { itemIdentifier: a2.messageId }]);
    expect(queue.send).not.toHaveBeenCalled();
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', a1.receiptHandle, 3, a1.eventSourceARN);
    expect(queue.changeVisibility).toHaveBeenCalledWith('analysis', a2.receiptHandle, 0, a2.eventSourceARN);
    expect(limiter.take).toHaveBeenCalledTimes(2);
  });
});
