import { ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobHandler } from '../../functions/worker/context.js';
import { ManualClock } from '../../local/scheduler.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisPayload } from '../helpers/factories.js';
import { eventually } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

/*
 * Crashes that used to strand a job, recovered by the periodic sweep. The local scheduler runs the
 * sweep on its clock; each test moves the clock past the sweep's bound and ticks.
 */

const clock = new ManualClock(Date.now());
/** Handler runs per toolId. */
const runs = new Map<string, number>();
const analysis: JobHandler<PayloadOf<'analysis'>> = async (payload) => {
  runs.set(payload.toolId, (runs.get(payload.toolId) ?? 0) + 1);
  return { toolId: payload.toolId };
};
/** Jobs whose API function dies right before sending their message; jobs whose release fails. */
const apiDies = new Set<string>();
const dyingJobIds: string[] = [];
const releaseFails = new Set<string>();

let api: ApiClient;
let sqs: SQSClient;

beforeAll(async () => {
  api = await bootLocalCloud({
    clock,
    handlers: { analysis },
    faults: {
      apiDiesBeforeSend: (jobId) => {
        if (apiDies.size === 0) return false;
        dyingJobIds.push(jobId);
        return true;
      },
      releaseFails: (jobId) => releaseFails.has(jobId),
    },
  });
  sqs = new SQSClient({ region: 'us-east-1', endpoint: api.cloud.endpoints.sqs });
});

afterAll(async () => {
  sqs?.destroy();
  await api?.cloud.stop();
});

/** Moves the scheduler's clock on and lets it run what fell due (releases, the sweep). */
async function advance(ms: number): Promise<void> {
  clock.advance(ms);
  await api.cloud.scheduler.tick();
}

describe('E2E: recovery of jobs stranded by a crash', () => {
  it('sends the message of a job whose API died between the record write and the send; the job runs once', async () => {
    // Prepare: the API function dies (never answers) right after the conditional put of the record
    apiDies.add('on');
    const aborted = new AbortController();
    const request = fetch(`${api.cloud.apiUrl}/v1/jobs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.cloud.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'analysis', payload: analysisPayload({ toolId: 'stranded-send' }) }),
      signal: aborted.signal,
    }).catch(() => undefined);
    const jobId = await eventually(async () => dyingJobIds[0], 10_000, 'the API to reach the send');
    apiDies.clear();
    aborted.abort();
    await request;
    const stranded = await api.request('GET', `/v1/jobs/${jobId}`);

    // Act: past the sweep's bound
    await advance(10 * 60_000);
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);

    // Assess
    expect(stranded.body).toMatchObject({ status: 'QUEUED' });
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    expect(runs.get('stranded-send')).toBe(1);
  });

  it('puts a held job whose release fails every time in the failure queue, and the sweep then runs it once', async () => {
    // Prepare: a job held by the scheduler (due in 20 minutes) whose release target always fails
    const runAt = new Date(clock.now() + 20 * 60_000);
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'failed-release' }), runAt: runAt.toISOString() } });
    const jobId = posted.body.jobId as string;
    releaseFails.add(jobId);

    // Act: the release falls due and fails on every attempt (the first and two retries)
    await advance(runAt.getTime() - clock.now() + 1);
    for (let i = 0; i < 3; i++) await advance(10_000);
    const failures = await sqs.send(new ReceiveMessageCommand({ QueueUrl: api.cloud.releaseFailures.url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }));
    const stillQueued = await api.request('GET', `/v1/jobs/${jobId}`);
    // … and the sweep finds the held job past due without a message
    await advance(10 * 60_000);
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);
    await advance(10 * 60_000);

    // Assess
    expect(posted.status).toBe(202);
    expect((failures.Messages ?? []).map((m) => JSON.parse(m.Body ?? '{}').requestPayload?.jobId)).toContain(jobId);
    expect(stillQueued.body).toMatchObject({ status: 'QUEUED' });
    expect(done).toMatchObject({ status: 'SUCCEEDED', attempt: 1 });
    expect(runs.get('failed-release')).toBe(1);
  });
});
