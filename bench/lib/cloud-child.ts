/**
 * The local cloud in a child process of the bench, so its CPU and memory can be measured apart
 * from the load generator. Started by `CloudProcess` (cloud-process.ts); speaks over the IPC channel.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { readFileSync } from 'node:fs';
import { startLocalCloud } from '../../local/cloud.js';
import { benchAnalysisHandler } from './workload.js';
import type { ChildReply, ChildRequest, ChildStats } from './cloud-process.js';

const dataDir = process.env.BENCH_CLOUD_DATA_DIR || undefined;
const starts = new Map<string, number>();
let recordStarts = false;
const cloud = await startLocalCloud({
  logLevel: 'error',
  // As `npm start` runs it: DynamoDB, SQS and the API in worker threads, the consumers here.
  threads: process.env.BENCH_CLOUD_THREADS !== 'off',
  ...(dataDir ? { dataDir } : {}),
  handlers: { analysis: benchAnalysisHandler({ progressSpacingMs: 1_050, onStart: (jobId, at) => void (recordStarts && starts.set(jobId, at)) }) },
});

function stats(): ChildStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const analysis = cloud.mappings.analysis.stats;
  return { cpuMicros: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, done: analysis.deleted, records: analysis.records, invocations: analysis.invocations, threadCpuMicros: threadCpu(cpu.user + cpu.system) };
}

/** Linux's per-thread CPU counters (/proc/self/task/<tid>/stat, utime + stime in clock ticks of 10 ms). */
function threadCpu(totalMicros: number): Record<string, number> {
  const read = (tid: number): number | undefined => {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) * 10_000;
    } catch {
      return undefined;
    }
  };
  const main = read(process.pid);
  if (main === undefined) return {};
  const byThread: Record<string, number> = { main };
  for (const thread of cloud.threads) {
    const micros = thread.tid === undefined ? undefined : read(thread.tid);
    if (micros !== undefined) byThread[thread.name] = micros;
  }
  byThread.other = Math.max(0, totalMicros - Object.values(byThread).reduce((sum, v) => sum + v, 0));
  return byThread;
}

function reply(message: ChildReply): void {
  process.send?.(message);
}

process.on('message', (raw) => {
  const request = raw as ChildRequest;
  void (async () => {
    switch (request.cmd) {
      case 'stats':
        return reply({ id: request.id, stats: stats() });
      case 'gc':
        // Twice: the first pass may only queue finalizers.
        globalThis.gc?.();
        globalThis.gc?.();
        return reply({ id: request.id, stats: stats() });
      case 'record-starts':
        recordStarts = true;
        starts.clear();
        return reply({ id: request.id, stats: stats() });
      case 'starts': {
        const entries = [...starts.entries()];
        starts.clear();
        return reply({ id: request.id, stats: stats(), starts: entries });
      }
      case 'stop':
        await cloud.stop();
        // Exit once the reply is out (a CPU profile, when asked for, is written on exit).
        process.send?.({ id: request.id, stats: stats() } satisfies ChildReply, () => process.exit(0));
        return;
    }
  })();
});

reply({ id: 0, ready: { apiUrl: cloud.apiUrl, apiKey: cloud.apiKey }, stats: stats() });
