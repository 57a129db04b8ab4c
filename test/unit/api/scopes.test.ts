import { describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../../functions/admin/api-keys.js';
import { WebhookDeadLetterService } from '../../../functions/api/admin/webhook-dead-letters.js';
import { DeadLetterService } from '../../../functions/api/admin/dead-letters.js';
import { createApiApp } from '../../../functions/api/app.js';
import { JobService } from '../../../functions/api/job-service.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import type { JobRecord } from '../../../shared/domain/job.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import { mayActFor, type ApiKeyResolver, type Principal } from '../../../shared/ports/api-keys.js';
import type { DeadLetterIndex } from '../../../shared/ports/dead-letters.js';
import type { JobListing } from '../../../shared/ports/job-listing.js';
import type { JobQueue } from '../../../shared/ports/job-queue.js';
import type { QueueAdmin } from '../../../shared/ports/queue-admin.js';
import { queuedJob } from '../../helpers/factories.js';
import { MemoryNudges, MemoryRedriveTasks } from '../../helpers/memory-redrive-tasks.js';
import { MemoryJobStore } from '../../helpers/memory-job-store.js';

const principals: Record<string, Principal> = {
  'jobs-a': { tenant: 'tenant-a', keyId: 'jobs-a', scopes: ['jobs'] },
  'admin-a': { tenant: 'tenant-a', keyId: 'admin-a', scopes: ['jobs', 'admin'] },
  'operator-ops': { tenant: 'ops', keyId: 'operator-ops', scopes: ['jobs', 'operator'] },
};
const keys: ApiKeyResolver = { resolve: async (key) => principals[key] };

function setup() {
  const store = new MemoryJobStore();
  const queue: JobQueue = { send: vi.fn(async () => undefined), changeVisibility: async () => undefined };
  const deadLetters: DeadLetterIndex = { list: async () => ({ jobIds: [] }), after: async () => [], count: async () => 0 };
  const queues: QueueAdmin = {
    depths: async () => ({ queue: { visible: 0, inFlight: 0, delayed: 0 }, dlq: { visible: 0, inFlight: 0, delayed: 0 } }),
    startRedrive: async () => undefined,
    latestRedrive: async () => undefined,
  };
  const listing: JobListing = { list: async () => ({ jobs: [] }), recentActivity: async () => ({ counts: {}, oldestDueAt: {}, held: {}, scanned: 0, complete: true }) };
  const app = createApiApp({
    jobs: new JobService({ store, queue, logger: silentLogger }),
    keys,
    logger: silentLogger,
    stage: 'test',
    admin: {
      queues,
      listing,
      deadLetters: new DeadLetterService({ store, deadLetters, queues, queue, redrives: { tasks: new MemoryRedriveTasks(), nudges: new MemoryNudges() }, logger: silentLogger, dlqRetentionSeconds: 14 * 86_400 }),
      webhooks: new WebhookDeadLetterService({ store, deadLetters, queues, listing: { unlist: async () => undefined }, logger: silentLogger }),
    },
  });
  const call = (method: string, path: string, key: string) => app.request(path, { method, headers: { authorization: `Bearer ${key}` } });
  return { store, queue, call };
}

async function failedJob(store: MemoryJobStore, tenant: string): Promise<JobRecord> {
  const job = queuedJob({ tenant, status: 'FAILED', attempt: 1, finishedAt: '2026-11-23T10:00:00.000Z', error: { code: 'BOOM', message: 'it broke' } });
  await store.create(job);
  return job;
}

describe('Function: mayActFor', () => {
  it('lets a key act on its own tenant, and on every tenant only with the operator scope', () => {
    expect(mayActFor(principals['admin-a']!, 'tenant-a')).toBe(true);
    expect(mayActFor(principals['admin-a']!, 'tenant-b')).toBe(false);
    expect(mayActFor(principals['operator-ops']!, 'tenant-b')).toBe(true);
  });
});

describe('Function: createApiApp (scopes)', () => {
  it('lets an admin retry its own tenant\'s failed job, and clears the previous error', async () => {
    // Prepare
    const { store, call } = setup();
    const job = await failedJob(store, 'tenant-a');

    // Act
    const response = await call('POST', `/v1/jobs/${job.jobId}/retry`, 'admin-a');

    // Assess
    expect(response.status).toBe(202);
    const after = await store.get(job.jobId);
    expect(after).toMatchObject({ status: 'QUEUED', attempt: 0 });
    expect(after?.error).toBeUndefined();
    expect(((await response.json()) as { error?: unknown }).error).toBeUndefined();
  });

  it('answers 404 to an admin retrying another tenant\'s job, and leaves the job as it was', async () => {
    // Prepare
    const { store, queue, call } = setup();
    const job = await failedJob(store, 'tenant-b');

    // Act
    const response = await call('POST', `/v1/jobs/${job.jobId}/retry`, 'admin-a');

    // Assess
    expect(response.status).toBe(404);
    expect(await store.get(job.jobId)).toMatchObject({ status: 'FAILED', error: { code: 'BOOM' } });
    expect(queue.send).not.toHaveBeenCalled();
  });

  it('lets an operator retry any tenant\'s job', async () => {
    const { store, call } = setup();
    const job = await failedJob(store, 'tenant-b');
    const response = await call('POST', `/v1/jobs/${job.jobId}/retry`, 'operator-ops');
    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ tenant: 'tenant-b', status: 'QUEUED' });
  });

  it('keeps the dead-letter queues and their redrive, which span every tenant, to operators', async () => {
    const { call } = setup();
    for (const [method, path] of [['GET', '/v1/queues/analysis/dlq'], ['POST', '/v1/queues/analysis/redrive'], ['GET', '/v1/queues/analysis/redrive'], ['GET', '/v1/queues/webhooks/dlq'], ['POST', '/v1/queues/webhooks/redrive'], ['GET', '/v1/queues/webhooks/redrive']] as const) {
      const asAdmin = await call(method, path, 'admin-a');
      expect(asAdmin.status, `${method} ${path}`).toBe(403);
      expect(await asAdmin.json()).toMatchObject({ error: { code: 'FORBIDDEN', message: expect.stringContaining('"operator"') } });
      expect((await call(method, path, 'operator-ops')).status, `${method} ${path}`).toBeLessThan(300);
    }
  });

  it('answers 403 to a jobs-only key on every operating route, and lets admin and operator see the overview', async () => {
    const { store, call } = setup();
    const job = await failedJob(store, 'tenant-a');
    for (const [method, path] of [['GET', '/v1/queues'], ['POST', `/v1/jobs/${job.jobId}/retry`], ['GET', '/v1/queues/analysis/dlq']] as const) {
      expect((await call(method, path, 'jobs-a')).status, `${method} ${path}`).toBe(403);
    }
    expect((await call('GET', '/v1/queues', 'admin-a')).status).toBe(200);
    expect((await call('GET', '/v1/queues', 'operator-ops')).status).toBe(200);
  });
});

describe('Function: createApiKey (scopes)', () => {
  const store = { put: vi.fn(async () => undefined) };

  it('issues tenant scopes, and the operator scope only when the caller is `npm run keys`', async () => {
    await expect(createApiKey(store, { tenant: 'acme', scopes: ['jobs', 'admin'] })).resolves.toMatchObject({ principal: { scopes: ['jobs', 'admin'] } });
    await expect(createApiKey(store, { tenant: 'ops', scopes: ['operator'] })).rejects.toBeInstanceOf(ConfigurationError);
    await expect(createApiKey(store, { tenant: 'ops', scopes: ['operator'] }, { allowOperator: true })).resolves.toMatchObject({ principal: { scopes: ['operator'] } });
  });
});
