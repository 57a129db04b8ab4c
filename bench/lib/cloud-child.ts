/**
 * The local cloud in a child process of the bench, so its CPU and memory can be measured apart
 * from the load generator. Started by `CloudProcess` (cloud-process.ts); speaks over the IPC channel.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { startLocalCloud } from '../../local/cloud.js';
import { benchAnalysisHandler } from './workload.js';
import type { ChildReply, ChildRequest, ChildStats } from './cloud-process.js';

const dataDir = process.env.BENCH_CLOUD_DATA_DIR || undefined;
const starts = new Map<string, number>();
let recordStarts = false;
const cloud = await startLocalCloud({
  logLevel: 'error',
  ...(dataDir ? { dataDir } : {}),
  handlers: { analysis: benchAnalysisHandler({ progressSpacingMs: 1_050, onStart: (jobId, at) => void (recordStarts && starts.set(jobId, at)) }) },
});

function stats(): ChildStats {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  const analysis = cloud.mappings.analysis.stats;
  return { cpuMicros: cpu.user + cpu.system, rss: memory.rss, heapUsed: memory.heapUsed, external: memory.external, done: analysis.deleted, records: analysis.records, invocations: analysis.invocations };
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
