import { CloudProcess, type CloudProcessOptions } from '../lib/cloud-process.js';
import { BenchHttpClient } from '../lib/http.js';
import { distribution, type Distribution } from '../lib/stats.js';
import { analysisPayload } from '../lib/workload.js';

export interface LatencyOptions extends CloudProcessOptions {
  readonly jobs: number;
  readonly log: (line: string) => void;
}

export interface LatencyResult {
  readonly jobs: number;
  /** From just before the POST is sent until the handler starts (both clocks are the machine's wall clock). */
  readonly enqueueToStartMs: Distribution;
  /** From just before the POST is sent until a GET shows SUCCEEDED (polled back to back). */
  readonly enqueueToVisibleMs: Distribution;
  /** The POST's own round trip (record written and message sent). */
  readonly postMs: Distribution;
}

/**
 * Latency on an otherwise idle local cloud: one job at a time, so each measures the path itself,
 * not queueing behind other jobs. The status is polled with back-to-back GETs.
 */
export async function measureLatency(options: LatencyOptions): Promise<LatencyResult> {
  const cloud = await CloudProcess.start(options);
  const client = new BenchHttpClient(cloud.apiUrl, cloud.apiKey, 2);
  try {
    const sent = new Map<string, number>();
    const visible: number[] = [];
    const posts: number[] = [];
    const warmUp = 20;
    await cloud.request('record-starts');
    for (let i = 0; i < warmUp + options.jobs; i++) {
      const t0 = performance.timeOrigin + performance.now();
      const response = await client.post('/v1/jobs', { type: 'analysis', payload: analysisPayload(`fast-latency-${i}`) });
      const posted = performance.timeOrigin + performance.now();
      if (response.status !== 202) throw new Error(`latency: POST answered ${response.status}`);
      const jobId = String(response.body.jobId);
      for (;;) {
        const { body } = await client.get(`/v1/jobs/${jobId}`);
        if (body.status === 'SUCCEEDED') break;
        if (body.status !== 'QUEUED' && body.status !== 'RUNNING') throw new Error(`latency: job ${jobId} ended ${String(body.status)}`);
      }
      const seen = performance.timeOrigin + performance.now();
      if (i < warmUp) continue;
      sent.set(jobId, t0);
      posts.push(posted - t0);
      visible.push(seen - t0);
      // A short pause keeps the system idle between jobs (no overlap with the previous job's delete).
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const starts = new Map((await cloud.request('starts')).starts ?? []);
    const toStart = [...sent].map(([jobId, t0]) => (starts.get(jobId) ?? Number.NaN) - t0).filter(Number.isFinite);
    if (toStart.length !== sent.size) throw new Error(`latency: ${sent.size - toStart.length} handler starts were not recorded`);
    return { jobs: options.jobs, enqueueToStartMs: distribution(toStart), enqueueToVisibleMs: distribution(visible), postMs: distribution(posts) };
  } finally {
    client.close();
    await cloud.stop();
  }
}
