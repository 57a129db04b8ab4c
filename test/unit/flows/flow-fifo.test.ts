import { describe, expect, it, vi } from 'vitest';
import type * as AnalysisModule from '../../../shared/jobs/analysis.js';
import { JobService } from '../../../functions/api/job-service.js';
import { JobValidationError } from '../../../shared/domain/errors.js';
import { JobIdGenerator } from '../../../shared/domain/job-id.js';
import type { JobMessage } from '../../../shared/domain/job.js';
import { flowRequestSchema } from '../../../shared/jobs/flow.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { templateData } from '../../helpers/email-payloads.js';
import { analysisPayload } from '../../helpers/factories.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

// The analysis type as a FIFO type, for this file only (test/helpers/fifo-variant.ts says why).
vi.mock('../../../shared/jobs/analysis.js', async (importOriginal) => {
  const real = await importOriginal<typeof AnalysisModule>();
  const { fifoVariantOf } = await import('../../helpers/fifo-variant.js');
  return { ...real, analysisJob: fifoVariantOf(real.analysisJob) };
});

function setup() {
  const ids = new JobIdGenerator();
  const now = () => new Date('2026-12-06T08:00:00.000Z');
  const store = new MemoryJobStore();
  const sent: JobMessage[] = [];
  // Each send takes longer than the one after it: sends made side by side would arrive in reverse.
  let pending = 0;
  const queue = {
    send: vi.fn(async (message: JobMessage) => {
      const wait = 10 - pending++;
      await new Promise((resolve) => setTimeout(resolve, Math.max(wait, 0)));
      sent.push(message);
    }),
    changeVisibility: vi.fn(async () => undefined),
  };
  const jobs = new JobService({ store, queue, logger: silentLogger, now, newJobId: (tenant) => ids.next(tenant, now()) });
  return { jobs, store, sent };
}

const fifo = (toolId: string, children?: unknown[]) => ({ type: 'analysis', payload: analysisPayload({ toolId }), ...(children ? { children } : {}) });
const email = (children: unknown[]) => ({ type: 'email', payload: { to: ['ops@example.com'], template: 'welcome', data: templateData('welcome') }, children });

describe('Method: JobService.checkFlow — FIFO job types in a flow', () => {
  it('refuses a FIFO job with children (it would be sent out of its place in its group), naming the node', () => {
    // Prepare
    const { jobs } = setup();
    const asParent = flowRequestSchema.parse(fifo('p', [fifo('a')]));
    const asMiddle = flowRequestSchema.parse(email([fifo('a'), fifo('b', [fifo('b1')])]));

    // Act
    const refusals = [asParent, asMiddle].map((body) => {
      try {
        jobs.checkFlow('tenant-a', body);
        return undefined;
      } catch (error) {
        return error;
      }
    });

    // Assess
    expect(refusals[0]).toBeInstanceOf(JobValidationError);
    expect((refusals[0] as JobValidationError).issues).toEqual([{ path: 'type', message: expect.stringContaining('FIFO') }]);
    expect((refusals[1] as JobValidationError).issues).toEqual([{ path: 'children.1.type', message: expect.stringContaining('FIFO') }]);
  });

  it('takes FIFO jobs as children without children of their own, sent one after another in the order the flow lists them', async () => {
    // Prepare
    const { jobs, store, sent } = setup();
    const root = jobs.checkFlow('tenant-a', flowRequestSchema.parse(email([fifo('a'), email([fifo('b1'), fifo('b2')]), fifo('c')])));

    // Act
    const flow = await jobs.enqueueFlow('tenant-a', root);

    // Assess
    const toolIds = sent.map((message) => (store.jobs.get(message.jobId)!.payload as { toolId: string }).toolId);
    expect(toolIds).toEqual(['a', 'b1', 'b2', 'c']);
    expect(new Set(sent.map((message) => message.group)).size).toBe(1);
    expect(store.jobs.get(flow.job.jobId)).toMatchObject({ sendPending: 'children', childrenPending: 3 });
  });
});
