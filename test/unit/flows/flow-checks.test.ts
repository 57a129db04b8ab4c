import { describe, expect, it, vi } from 'vitest';
import { JobService } from '../../../functions/api/job-service.js';
import { PayloadTooLargeError } from '../../../shared/domain/errors.js';
import { JobIdGenerator } from '../../../shared/domain/job-id.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import { flowRequestSchema } from '../../../shared/jobs/flow.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { analysisPayload } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

/** The API's JobService without a job-data bucket: every payload is kept in the record, so its size is the record's. */
function setup() {
  const ids = new JobIdGenerator();
  const now = () => new Date('2026-12-06T08:00:00.000Z');
  const sent: JobMessage[] = [];
  const queue = { send: vi.fn(async (message: JobMessage) => void sent.push(message)), changeVisibility: vi.fn(async () => undefined) };
  const jobs = new JobService({ store: new MemoryJobStore(), queue, logger: silentLogger, now, newJobId: (tenant) => ids.next(tenant, now()) });
  return { jobs };
}

const leaf = (toolId: string) => ({ type: 'analysis', payload: analysisPayload({ toolId }) });
const withDescription = (length: number) => analysisPayload({ toolId: 'p', description: 'x'.repeat(length) });

/** The longest description a lone enqueue of an analysis job accepts (a binary search on the API's own check). */
function longestAccepted(jobs: JobService): number {
  let fits = 1;
  let refused = 400 * 1024;
  while (refused - fits > 1) {
    const middle = Math.floor((fits + refused) / 2);
    try {
      jobs.check('tenant-a', { type: 'analysis', payload: withDescription(middle) });
      fits = middle;
    } catch (error) {
      if (!(error instanceof PayloadTooLargeError)) throw error;
      refused = middle;
    }
  }
  return fits;
}

describe('Method: JobService.checkFlow — a parent\'s size', () => {
  it('leaves room in a parent\'s record for its children\'s ids and outcomes (about 8 KB for 100)', () => {
    // Prepare: a parent payload as large as a lone job may be, and the same less 9 KB
    const { jobs } = setup();
    const longest = longestAccepted(jobs);
    const children = Array.from({ length: 100 }, (_, index) => leaf(`c-${index}`));
    const full = flowRequestSchema.parse({ type: 'analysis', payload: withDescription(longest), children });
    const roomy = flowRequestSchema.parse({ type: 'analysis', payload: withDescription(longest - 9 * 1024), children });

    // Act
    const refused = () => jobs.checkFlow('tenant-a', full);
    const accepted = jobs.checkFlow('tenant-a', roomy);

    // Assess: the full one would outgrow its item as its children end: 413 naming the parent's payload
    expect(refused).toThrow(PayloadTooLargeError);
    expect(() => refused()).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: 'payload' })] }) as Error);
    expect(accepted.children).toHaveLength(100);
  });

  it('leaves room in a child\'s record for its parent id and the outcome it owes', () => {
    // Prepare: a child as large as a lone job may be
    const { jobs } = setup();
    const longest = longestAccepted(jobs);
    const flow = flowRequestSchema.parse({ type: 'analysis', payload: analysisPayload({ toolId: 'p' }), children: [leaf('a'), { type: 'analysis', payload: withDescription(longest) }] });

    // Act
    const refused = () => jobs.checkFlow('tenant-a', flow);

    // Assess
    expect(refused).toThrow(expect.objectContaining({ issues: [expect.objectContaining({ path: 'children.1.payload' })] }) as Error);
  });
});
