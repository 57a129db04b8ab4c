import { CloudProcess, type CloudProcessOptions } from '../lib/cloud-process.js';
import { BenchHttpClient, runPool } from '../lib/http.js';
import { analysisPayload } from '../lib/workload.js';
import { waitUntil } from './throughput.js';

export interface MemoryOptions extends CloudProcessOptions {
  readonly jobs: number;
  readonly checkpoints: number;
  readonly concurrency: number;
  readonly log: (line: string) => void;
}

export interface MemoryCheckpoint {
  readonly jobs: number;
  /** After a full GC in the cloud process. */
  readonly rssMb: number;
  readonly heapMb: number;
  readonly externalMb: number;
}

export interface MemoryResult {
  readonly storage: 'memory' | 'leveldb';
  readonly idle: MemoryCheckpoint;
  readonly checkpoints: readonly MemoryCheckpoint[];
  /** Heap growth per 1,000 jobs over the second half of the soak (a leak keeps growing; a warm-up does not). */
  readonly heapKbPer1kJobsSecondHalf: number;
  readonly rssKbPer1kJobsSecondHalf: number;
}

/** RSS and heap of the local cloud idle, then after GC at checkpoints through a soak of N jobs. */
export async function measureMemory(options: MemoryOptions): Promise<MemoryResult> {
  const cloud = await CloudProcess.start(options);
  const client = new BenchHttpClient(cloud.apiUrl, cloud.apiKey, options.concurrency);
  try {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const idle = checkpoint(0, (await cloud.request('gc')).stats);
    const checkpoints: MemoryCheckpoint[] = [];
    const chunk = Math.ceil(options.jobs / options.checkpoints);
    let posted = 0;
    const baseline = (await cloud.stats()).done;
    while (posted < options.jobs) {
      const count = Math.min(chunk, options.jobs - posted);
      const offset = posted;
      await runPool(count, options.concurrency, async (i) => {
        const response = await client.post('/v1/jobs', { type: 'analysis', payload: analysisPayload(`soak-${offset + i}`) });
        if (response.status !== 202) throw new Error(`soak: POST answered ${response.status}`);
      });
      posted += count;
      await waitUntil(cloud, baseline + posted);
      const point = checkpoint(posted, (await cloud.request('gc')).stats);
      checkpoints.push(point);
      options.log(`memory: ${posted} jobs, RSS ${point.rssMb.toFixed(0)} MB, heap ${point.heapMb.toFixed(0)} MB`);
    }
    const middle = checkpoints[Math.floor((checkpoints.length - 1) / 2)] ?? idle;
    const last = checkpoints.at(-1) ?? idle;
    const per1k = (from: number, to: number) => (last.jobs > middle.jobs ? ((to - from) * 1024) / ((last.jobs - middle.jobs) / 1000) : 0);
    return {
      storage: options.dataDir ? 'leveldb' : 'memory',
      idle,
      checkpoints,
      heapKbPer1kJobsSecondHalf: per1k(middle.heapMb, last.heapMb),
      rssKbPer1kJobsSecondHalf: per1k(middle.rssMb, last.rssMb),
    };
  } finally {
    client.close();
    await cloud.stop();
  }
}

function checkpoint(jobs: number, stats: { rss: number; heapUsed: number; external: number }): MemoryCheckpoint {
  return { jobs, rssMb: stats.rss / 2 ** 20, heapMb: stats.heapUsed / 2 ** 20, externalMb: stats.external / 2 ** 20 };
}
