import { messageOf } from '../functions/api/job-message.js';
import { SqsJobQueue } from '../functions/adapters/aws/sqs-job-queue.js';
import { terminalFollowUps } from '../functions/follow-ups/follow-ups.js';
import { mapLimited } from '../functions/redrive/redrive-runner.js';
import { createClients, createJobStore } from '../functions/wiring.js';
import { newJobId } from '../shared/domain/job-id.js';
import type { JobRecord } from '../shared/domain/job.js';
import { jobRegistry, type JobType } from '../shared/jobs/registry.js';
import { queueSettingsOf } from '../shared/jobs/derived.js';
import type { LocalCloud } from './cloud.js';

export interface SeedDeadJobsOptions {
  readonly type: JobType;
  readonly count: number;
  readonly tenant?: string;
  readonly payload: (index: number) => unknown;
  /** Batches of ten written and sent at once (default 8). */
  readonly concurrency?: number;
}

/**
 * Puts `count` jobs into a local cloud as a job's last failed attempt leaves it — the record DEAD with
 * its dead-letter listing (the same follow-ups the worker's DEAD write records) and its message in the
 * type's DLQ — without running them: redrive runs and tests start from many dead jobs in seconds.
 */
export async function seedDeadJobs(cloud: Pick<LocalCloud, 'config' | 'queues'>, options: SeedDeadJobsOptions): Promise<JobRecord[]> {
  const clients = createClients(cloud.config);
  const store = createJobStore(cloud.config, clients);
  const dlq = new SqsJobQueue({ client: clients.sqs, queueUrls: { [options.type]: cloud.queues[options.type].dlqUrl } });
  const definition = jobRegistry[options.type];
  const tenant = options.tenant ?? 'dev';
  const jobs: JobRecord[] = [];
  const starts = Array.from({ length: Math.ceil(options.count / 10) }, (_, i) => i * 10);
  try {
    await mapLimited(starts, options.concurrency ?? 8, async (start) => {
      const batch: JobRecord[] = [];
      for (let i = start; i < Math.min(options.count, start + 10); i++) {
        const created = new Date();
        const finished = new Date(created.getTime() + 1);
        const queued: JobRecord = {
          jobId: newJobId(tenant, created),
          tenant,
          type: options.type,
          status: 'QUEUED',
          attempt: definition.settings.maxAttempts,
          maxAttempts: definition.settings.maxAttempts,
          progress: 0,
          payload: options.payload(i),
          createdAt: created.toISOString(),
          updatedAt: created.toISOString(),
        };
        const { set } = terminalFollowUps(queued, 'DEAD', finished, { flushGraceMs: 60_000, dlqRetentionSeconds: queueSettingsOf(definition).dlqRetentionSeconds });
        batch.push({ ...queued, ...set, status: 'DEAD', finishedAt: finished.toISOString(), updatedAt: finished.toISOString(), error: { code: 'SEEDED', message: 'seeded dead job' } } as JobRecord);
      }
      await Promise.all(batch.map((job) => store.create(job)));
      const failed = await dlq.sendBatch(batch.map((job) => ({ message: messageOf(job) })));
      if (failed.size > 0) throw new Error(`seedDeadJobs: ${failed.size} DLQ message(s) not sent`);
      jobs.push(...batch);
    });
  } finally {
    clients.dynamo.destroy();
    clients.sqs.destroy();
  }
  return jobs;
}
