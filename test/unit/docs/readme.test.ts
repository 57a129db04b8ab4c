import { execFileSync } from 'node:child_process';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createApiApp } from '../../../functions/api/app.js';
import { JobService, messageOf, newJobRecord } from '../../../functions/api/job-service.js';
import { EMAIL_PAYLOAD } from '../../../bench/lib/workload.js';
import { newJobId } from '../../../shared/domain/job-id.js';
import { DynamoJobStore } from '../../../functions/adapters/aws/dynamo-job-store.js';
import { messageBody, SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { WEBHOOK_RETRY, webhookRetryWindowSeconds } from '../../../shared/domain/retry.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { allDocs } from '../../helpers/docs.js';

/** The README and the docs pages: a statement may live on any of them. */
const README = allDocs();

/** The docs' line that mentions `needle` (exactly one). */
function lineWith(needle: string): string {
  const lines = README.split('\n').filter((line) => line.includes(needle));
  expect(lines, needle).toHaveLength(1);
  return lines[0]!;
}

describe('Docs: statements that must stay true', () => {
  it('shows the body GET /v1/health really returns', async () => {
    // Prepare: the API app as the local cloud builds it (stage "local"); health touches no store
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const jobs = new JobService({ store: new DynamoJobStore({ client, tableName: 'jobs' }), queue: new SqsJobQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrls: {} }), logger: silentLogger });
    const app = createApiApp({ jobs, keys: { resolve: async () => undefined }, logger: silentLogger, stage: 'local' });

    // Act
    const response = await app.request('/v1/health');
    const documented = /200 `(\{[^`]*\})`/.exec(lineWith('| `GET /v1/health` | none |'))?.[1];

    // Assess
    expect(response.status).toBe(200);
    expect(documented).toBeDefined();
    expect(await response.json()).toEqual(JSON.parse(documented!));
  });

  it('states the webhook retry schedule and window computed from WEBHOOK_RETRY', () => {
    const { earliest, latest } = webhookRetryWindowSeconds();
    const { baseSeconds, maxSeconds } = WEBHOOK_RETRY.backoff;
    expect(README).toContain(`${WEBHOOK_RETRY.maxAttempts} attempts, waits of ${baseSeconds} s doubling to a ${maxSeconds / 60}-minute cap`);
    expect(README).toContain(`less up to ${WEBHOOK_RETRY.jitter * 100} % jitter`);
    expect(README).toContain(`the last attempt starts ${Math.round(earliest / 60)}–${Math.round(latest / 60)} minutes after the first`);
    expect(README).not.toMatch(/10\.6 minutes/);
  });

  it('uses no GNU-only `date -d`; its portable replacement prints tomorrow 08:00 UTC', () => {
    // Prepare
    const snippet = /\$\(node -p '([^']+)'\)/.exec(README)?.[1];

    // Act
    const printed = execFileSync(process.execPath, ['-p', snippet!], { encoding: 'utf8' }).trim();

    // Assess
    expect(README).not.toMatch(/\bdate\b[^\n]*\s-d\s/);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const today = new Date().toISOString().slice(0, 10);
    // Either side of midnight UTC while the test runs: today's or tomorrow's date, at 08:00Z.
    expect([`${tomorrow}T08:00:00Z`, `${today}T08:00:00Z`]).toContain(printed);
  });

  it('states the size of a typical e-mail job\'s message, now and when it also carried the tenant and payload', () => {
    // Prepare: the bench's e-mail job (welcome template, one recipient)
    const now = new Date();
    const job = newJobRecord('tenant-acme', { type: 'email', payload: EMAIL_PAYLOAD }, newJobId('tenant-acme', now), now);

    // Act
    const bytes = (message: unknown) => Buffer.byteLength(JSON.stringify(message), 'utf8');
    const current = Buffer.byteLength(messageBody(messageOf(job)), 'utf8');
    const older = bytes({ jobId: job.jobId, type: job.type, tenant: job.tenant, payload: job.payload, enqueuedAt: Date.parse(job.createdAt) });
    const documented = /\((\d+)\s+bytes for a typical e-mail job, (\d+) when it also carried the tenant and payload\)/.exec(README);

    // Assess
    expect(documented?.slice(1).map(Number)).toEqual([current, older]);
  });
});
