import { readFileSync } from 'node:fs';
import { Queue, Worker, type Job } from 'bullmq';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import type { JobContext } from '../../functions/worker/context.js';
import { silentLogger } from '../../shared/logging/logger.js';
import { runPool } from '../lib/http.js';
import { startRedis, type RedisServer } from '../lib/redis.js';
import { distribution, type Distribution } from '../lib/stats.js';
import { analysisPayload } from '../lib/workload.js';

export interface BullmqOptions {
  readonly jobs: number;
  /** Concurrent producers adding jobs. */
  readonly concurrency: number;
  /** Worker concurrency (BullMQ's own knob). */
  readonly workerConcurrency: number;
  readonly latencyJobs: number;
  readonly log: (line: string) => void;
}

export interface BullmqResult {
  readonly version: string;
  readonly jobs: number;
  readonly seconds: number;
  readonly jobsPerSecond: number;
  readonly enqueuePerSecond: number;
  /** CPU of the Node process (producers + worker) and of redis-server, per job. */
  readonly nodeCpuMsPerJob: number;
  readonly redisCpuMsPerJob: number;
  readonly enqueueToStartMs: Distribution;
  readonly enqueueToVisibleMs: Distribution;
  readonly addMs: Distribution;
}

/**
 * The same workload on BullMQ + Redis: the same analysis handler (progress calls are no-ops, as a
 * fast Conveyor job's are: neither writes them), jobs added by concurrent producers, one worker.
 * Completed jobs are kept (BullMQ's default), as Conveyor keeps their records.
 */
export async function measureBullmq(options: BullmqOptions): Promise<BullmqResult> {
  const redis = await startRedis();
  try {
    return await run(redis, options);
  } finally {
    await redis.stop();
  }
}

async function run(redis: RedisServer, options: BullmqOptions): Promise<BullmqResult> {
  const connection = { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null };
  const queue = new Queue('bench', { connection });
  const starts = new Map<string, number>();
  let completed = 0;
  const worker = new Worker(
    'bench',
    async (job: Job<PayloadOf<'analysis'>>) => {
      starts.set(String(job.id), performance.timeOrigin + performance.now());
      return analysisHandler(job.data, contextOf(job));
    },
    { connection, concurrency: options.workerConcurrency },
  );
  worker.on('completed', () => void completed++);
  try {
    await worker.waitUntilReady();
    const { version } = JSON.parse(readFileSync(new URL('../../node_modules/bullmq/package.json', import.meta.url), 'utf8')) as { version: string };
    // Warm-up, as for Conveyor.
    await runPool(200, options.concurrency, async (i) => void (await queue.add('analysis', analysisPayload(`warm-${i}`))));
    await until(() => completed >= 200);

    options.log(`bullmq: ${options.jobs} jobs…`);
    const cpuBefore = process.cpuUsage();
    const redisBefore = redis.cpuMs();
    const doneBefore = completed;
    const started = performance.now();
    await runPool(options.jobs, options.concurrency, async (i) => void (await queue.add('analysis', analysisPayload(`fast-${i}`))));
    const enqueued = performance.now();
    await until(() => completed >= doneBefore + options.jobs);
    const finished = performance.now();
    const cpu = process.cpuUsage(cpuBefore);
    const redisCpu = redis.cpuMs() - redisBefore;

    options.log(`bullmq: latency, ${options.latencyJobs} jobs one at a time…`);
    starts.clear();
    const toStart: number[] = [];
    const toVisible: number[] = [];
    const adds: number[] = [];
    for (let i = 0; i < options.latencyJobs; i++) {
      const t0 = performance.timeOrigin + performance.now();
      const job = await queue.add('analysis', analysisPayload(`fast-latency-${i}`));
      adds.push(performance.timeOrigin + performance.now() - t0);
      while ((await queue.getJobState(String(job.id))) !== 'completed');
      toVisible.push(performance.timeOrigin + performance.now() - t0);
      toStart.push((starts.get(String(job.id)) ?? Number.NaN) - t0);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const seconds = (finished - started) / 1000;
    return {
      version,
      jobs: options.jobs,
      seconds,
      jobsPerSecond: options.jobs / seconds,
      enqueuePerSecond: options.jobs / ((enqueued - started) / 1000),
      nodeCpuMsPerJob: (cpu.user + cpu.system) / 1000 / options.jobs,
      redisCpuMsPerJob: redisCpu / options.jobs,
      enqueueToStartMs: distribution(toStart),
      enqueueToVisibleMs: distribution(toVisible),
      addMs: distribution(adds),
    };
  } finally {
    await worker.close().catch(() => undefined);
    await queue.close().catch(() => undefined);
  }
}

function contextOf(job: Job): JobContext {
  return {
    jobId: String(job.id),
    tenant: 'bench',
    type: 'analysis',
    attempt: job.attemptsMade + 1,
    maxAttempts: 3,
    signal: new AbortController().signal,
    logger: silentLogger,
    progress: async () => undefined,
  };
}

async function until(condition: () => boolean, timeoutMs = 30 * 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`bullmq: not done after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
