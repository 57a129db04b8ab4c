import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { messageOf } from '../../../functions/api/job-message.js';
import { analysisPayload, queuedJob } from '../../helpers/factories.js';

/** The queue map a stage gives: analysis has priority lanes, pdf has none. */
const queue = new SqsJobQueue({
  client: new SQSClient({ region: 'us-east-1' }),
  queueUrls: { analysis: 'https://q/analysis', 'analysis:high': 'https://q/analysis-high', 'analysis:low': 'https://q/analysis-low', pdf: 'https://q/pdf' },
});

describe('Function: messageOf (routing without the job registry)', () => {
  it('routes by the priority the record stores', () => {
    // Act
    const url = queue.routeOf(messageOf(queuedJob({ payload: analysisPayload(), priority: 'low' })));

    // Assess
    expect(url).toBe('https://q/analysis-low');
  });

  it("routes a record that names its priority only in its payload to that priority's queue", () => {
    // Prepare: a record written before priorities were stored on it
    const job = queuedJob({ payload: { ...analysisPayload(), priority: 'high' } });

    // Act
    const url = queue.routeOf(messageOf(job));

    // Assess
    expect(job.priority).toBeUndefined();
    expect(url).toBe('https://q/analysis-high');
  });

  it("sends a job of a type without priorities to the type's queue, whatever its payload's priority field says", () => {
    // Prepare
    const job = queuedJob({ type: 'pdf', payload: { template: 'report', priority: 'high' } });

    // Act
    const url = queue.routeOf(messageOf(job));

    // Assess
    expect(url).toBe('https://q/pdf');
  });
});
