import { BenchHttpClient, runPool } from '../lib/http.js';
import { CloudProcess, type CloudProcessOptions } from '../lib/cloud-process.js';
import { analysisPayload } from '../lib/workload.js';

export interface ThroughputOptions extends CloudProcessOptions {
  readonly jobs: number;
  readonly concurrency: number;
  readonly log: (line: string) => void;
  /** Read every job back after the run to check it SUCCEEDED (not timed). */
  readonly verify: boolean;
}

export interface ThroughputResult {
  readonly jobs: number;
  readonly concurrency: number;
  readonly storage: 'memory' | 'leveldb';
  /** From the first POST until every job's message was acknowledged. */
  readonly seconds: number;
  readonly jobsPerSecond: number;
  /** POSTs answered per second (the enqueue side alone). */
  readonly enqueuePerSecond: number;
  /** Cores of the local cloud process over the run (CPU time / wall time). */
  readonly cloudCpuCores: number;
  readonly cloudCpuMsPerJob: number;
  /** The same by thread (main: consumers; api, dynamodb, sqs: worker threads; other: GC helpers, libuv pool). */
  readonly cpuMsPerJobByThread: Readonly<Record<string, number>>;
  readonly cloudRssMb: number;
  readonly recordsPerInvocation: number;
  readonly verified: Readonly<Record<string, number>> | undefined;
}

/**
 * N analysis jobs posted over HTTP by a concurrent client to a local cloud in its own process,
 * timed until every job is done (its message acknowledged after the terminal write).
 */
export async function measureThroughput(options: ThroughputOptions): Promise<ThroughputResult> {
  const cloud = await CloudProcess.start(options);
  const client = new BenchHttpClient(cloud.apiUrl, cloud.apiKey, options.concurrency);
  try {
    // Warm up the API key cache, the SDK clients and the JIT, as a warm Lambda would be.
    await runPool(200, options.concurrency, async (i) => void (await client.post('/v1/jobs', { type: 'analysis', payload: analysisPayload(`warm-${i}`) })));
    await waitUntil(cloud, 200);
    const before = await cloud.stats();
    const jobIds: string[] = new Array(options.jobs);
    let failures = 0;
    const started = performance.now();
    let progressAt = started;
    await runPool(options.jobs, options.concurrency, async (i) => {
      const response = await client.post('/v1/jobs', { type: 'analysis', payload: analysisPayload(`fast-${i}`) });
      if (response.status !== 202) failures++;
      else jobIds[i] = String(response.body.jobId);
      if (performance.now() - progressAt > 5_000) {
        progressAt = performance.now();
        options.log(`throughput: ${i + 1} of ${options.jobs} posted`);
      }
    });
    const enqueued = performance.now();
    if (failures) throw new Error(`throughput: ${failures} POSTs were not accepted`);
    const after = await waitUntil(cloud, before.done + options.jobs, options.log);
    const finished = performance.now();
    const seconds = (finished - started) / 1000;
    let verified: Record<string, number> | undefined;
    if (options.verify) {
      verified = {};
      await runPool(jobIds.length, options.concurrency, async (i) => {
        const { body } = await client.get(`/v1/jobs/${jobIds[i]}`);
        const status = String(body.status);
        verified![status] = (verified![status] ?? 0) + 1;
      });
    }
    const cpuMs = (after.cpuMicros - before.cpuMicros) / 1000;
    return {
      jobs: options.jobs,
      concurrency: options.concurrency,
      storage: options.dataDir ? 'leveldb' : 'memory',
      seconds,
      jobsPerSecond: options.jobs / seconds,
      enqueuePerSecond: options.jobs / ((enqueued - started) / 1000),
      cloudCpuCores: cpuMs / (finished - started),
      cloudCpuMsPerJob: cpuMs / options.jobs,
      cpuMsPerJobByThread: Object.fromEntries(Object.entries(after.threadCpuMicros).map(([name, micros]) => [name, (micros - (before.threadCpuMicros[name] ?? 0)) / 1000 / options.jobs])),
      cloudRssMb: after.rss / 2 ** 20,
      recordsPerInvocation: (after.records - before.records) / Math.max(1, after.invocations - before.invocations),
      verified,
    };
  } finally {
    client.close();
    await cloud.stop();
  }
}

/** Polls the cloud until `done` jobs are acknowledged. */
export async function waitUntil(cloud: CloudProcess, done: number, log?: (line: string) => void, timeoutMs = 30 * 60_000) {
  const deadline = Date.now() + timeoutMs;
  let lastLog = Date.now();
  for (;;) {
    const stats = await cloud.stats();
    if (stats.done >= done) return stats;
    if (Date.now() > deadline) throw new Error(`only ${stats.done} of ${done} jobs done after ${timeoutMs} ms`);
    if (log && Date.now() - lastLog > 5_000) {
      lastLog = Date.now();
      log(`… ${stats.done} of ${done} done`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
