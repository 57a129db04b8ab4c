import { fixed, ratio, table, verdict } from '../lib/table.js';
import type { Distribution } from '../lib/stats.js';
import type { BullmqResult } from './bullmq.js';
import type { BundlesResult } from './bundles.js';
import type { LatencyResult } from './latency.js';
import type { MemoryResult } from './memory.js';
import type { ThroughputResult } from './throughput.js';

export const TARGETS = { jobsPerSecond: 600, cpuMsPerJob: 3, startP50Ms: 5, startP99Ms: 20, bundleKb: 500, pdfBundleKb: 800, initRatio: 3 } as const;

const ms = (value: number) => `${fixed(value, 1)} ms`;
const dist = (d: Distribution | undefined) => (d ? `${fixed(d.p50, 1)} / ${fixed(d.p95, 1)} / ${fixed(d.p99, 1)} ms` : '—');

/** Sections 2–4: Conveyor's local cloud and BullMQ side by side, with the ratio beside each figure. */
export function renderThroughputAndLatency(t: ThroughputResult | undefined, l: LatencyResult | undefined, b: BullmqResult | undefined): string {
  const rows: (string | number)[][] = [];
  if (t) {
    rows.push([`Throughput, ${t.jobs} jobs, ${t.concurrency} clients (jobs/s)`, fixed(t.jobsPerSecond, 0), b ? fixed(b.jobsPerSecond, 0) : '—', b ? ratio(t.jobsPerSecond, b.jobsPerSecond) : '—', `≥ ${TARGETS.jobsPerSecond}`, verdict(t.jobsPerSecond >= TARGETS.jobsPerSecond)]);
    rows.push(['Enqueue rate (POST / add per s)', fixed(t.enqueuePerSecond, 0), b ? fixed(b.enqueuePerSecond, 0) : '—', b ? ratio(t.enqueuePerSecond, b.enqueuePerSecond) : '—', '', '']);
    rows.push(['CPU per job (cloud process / Node + redis-server)', ms(t.cloudCpuMsPerJob), b ? ms(b.nodeCpuMsPerJob + b.redisCpuMsPerJob) : '—', b ? ratio(t.cloudCpuMsPerJob, b.nodeCpuMsPerJob + b.redisCpuMsPerJob) : '—', `≤ ${TARGETS.cpuMsPerJob} ms`, verdict(t.cloudCpuMsPerJob <= TARGETS.cpuMsPerJob)]);
    const byThread = Object.entries(t.cpuMsPerJobByThread);
    if (byThread.length) rows.push(['CPU per job by thread (main = consumers)', byThread.map(([name, value]) => `${name} ${fixed(value, 2)}`).join(' · '), '', '', '', '']);
    rows.push(['Cloud CPU over the run (cores) · RSS at the end', `${fixed(t.cloudCpuCores, 2)} · ${fixed(t.cloudRssMb, 0)} MB`, '', '', '', '']);
    rows.push(['Records per consumer invocation', fixed(t.recordsPerInvocation, 1), '', '', '', '']);
  }
  if (l) {
    rows.push(['Enqueue → handler start, p50 / p95 / p99', dist(l.enqueueToStartMs), dist(b?.enqueueToStartMs), b ? `${ratio(l.enqueueToStartMs.p50, b.enqueueToStartMs.p50)} (p50)` : '—', `p50 ≤ ${TARGETS.startP50Ms}, p99 ≤ ${TARGETS.startP99Ms} ms`, verdict(l.enqueueToStartMs.p50 <= TARGETS.startP50Ms && l.enqueueToStartMs.p99 <= TARGETS.startP99Ms)]);
    rows.push(['Enqueue → SUCCEEDED visible, p50 / p95 / p99', dist(l.enqueueToVisibleMs), dist(b?.enqueueToVisibleMs), b ? `${ratio(l.enqueueToVisibleMs.p50, b.enqueueToVisibleMs.p50)} (p50)` : '—', '', '']);
    rows.push(['Enqueue call itself (POST / add), p50 / p95 / p99', dist(l.postMs), dist(b?.addMs), b ? `${ratio(l.postMs.p50, b.addMs.p50)} (p50)` : '—', '', '']);
  }
  const verified = t?.verified ? Object.entries(t.verified).map(([s, n]) => `${n} ${s}`).join(', ') : 'not read back';
  return [
    '### 2–4. Throughput and latency: the local cloud beside BullMQ + Redis',
    table(['Measure', 'Conveyor (local cloud)', b ? `BullMQ ${b.version} + Redis` : 'BullMQ + Redis', 'Conveyor / BullMQ', 'Target', 'Verdict'], rows),
    [
      t ? `Throughput: ${t.jobs} analysis jobs posted over HTTP by ${t.concurrency} keep-alive connections to the local cloud in its own process (DynamoDB ${t.storage === 'leveldb' ? 'on LevelDB, as `npm start`' : 'in memory'}), timed from the first POST until every message was acknowledged after its terminal write; read back after: ${verified}.` : '',
      l ? `Latency: ${l.jobs} jobs one at a time on the otherwise idle cloud (after a warm-up), status polled with back-to-back GETs; the handler start is stamped in the cloud process with the same wall clock.` : '',
      b ? `BullMQ: the same analysis handler (progress calls are no-ops, as a fast Conveyor job's writes are), ${b.jobs} jobs added by concurrent producers, one Worker, Redis ${'over TCP on loopback'}, completed jobs kept (the default).` : '',
    ].filter(Boolean).join(' '),
  ].join('\n\n');
}

/** Every function's bundle may take 500 KB, the PDF worker's 800 KB (it carries a PDF library and its fonts). */
export function bundleLimitKb(entry: string): number {
  return entry === 'worker-pdf' ? TARGETS.pdfBundleKb : TARGETS.bundleKb;
}

/** Section 5: package size and cold init per function. */
export function renderBundles(result: BundlesResult): string {
  return [
    '### 5. Lambda packages: size and cold init',
    table(
      ['Function', 'Bundle (minified)', 'vs limit', 'Zip (with source map)', 'Init (import in fresh node)', 'Bare node -e 0', 'Init / bare', 'Init / empty ESM import', 'Heaviest parts (KB)', 'Verdict'],
      result.functions.map((f) => [
        f.entry,
        `${fixed(f.bundleBytes / 1024, 0)} KB`,
        `${ratio(f.bundleBytes / 1024, bundleLimitKb(f.entry))} of ${bundleLimitKb(f.entry)} KB`,
        `${fixed(f.zippedBytes / 1024, 0)} KB`,
        f.initError ? `failed: ${f.initError}` : ms(f.initMs),
        ms(f.bareMs),
        ratio(f.initMs, f.bareMs),
        ratio(f.initMs, f.emptyEsmMs),
        f.heaviest.map((h) => `${h.name} ${h.kb}`).join(', '),
        verdict(f.bundleBytes / 1024 <= bundleLimitKb(f.entry) && f.initMs / f.bareMs <= TARGETS.initRatio),
      ]),
    ),
    table(
      ['Function', 'Bundle, traced stage', 'Tracer adds', 'Zip, traced stage', 'Init with CONVEYOR_TRACING=on', 'Tracing adds to init'],
      result.functions.map((f) => [
        f.entry,
        `${fixed(f.tracedBundleBytes / 1024, 0)} KB`,
        `+${fixed((f.tracedBundleBytes - f.bundleBytes) / 1024, 0)} KB`,
        `${fixed(f.tracedZippedBytes / 1024, 0)} KB`,
        ms(f.tracedInitMs),
        `+${ms(f.tracedInitMs - f.initMs)}`,
      ]),
    ),
    'A stage without tracing bundles a stand-in for Powertools Tracer (infra/bundling.ts `bundleAliases`), so the first table is what it deploys; a traced stage deploys the second, and imports the tracer (with aws-xray-sdk-core) at cold start only when CONVEYOR_TRACING=on. Outside Lambda the tracer then disables itself, so the traced init measures loading and building it, not sending segments.',
    `esbuild with the CDK's settings from infra/bundling.ts (ESM, node22, minified, AWS SDK bundled); init = median wall time of ${result.runs} fresh \`node\` processes importing the bundle (module load + module-scope wiring), bare = median of \`node -e 0\`, runs alternated. Importing even an empty ES module the same way took ${ms(result.emptyEsmMs)} (${ratio(result.emptyEsmMs, result.bareNodeMs)} bare): Node's ESM loader, before any of our code. Heaviest parts from esbuild's metafile, npm packages by name, our code by folder. Local Node is ${process.version}; Lambda runs Node 22.`,
  ].join('\n\n');
}

/** Section 6: memory of the local cloud, idle and through a soak. */
export function renderMemory(result: MemoryResult): string {
  const rows = [result.idle, ...result.checkpoints].map((c) => [c.jobs === 0 ? 'idle (after boot)' : `${c.jobs} jobs`, `${fixed(c.rssMb, 0)} MB`, `${fixed(c.heapMb, 1)} MB`, `${fixed(c.externalMb, 1)} MB`, ratio(c.rssMb, result.idle.rssMb)]);
  return [
    '### 6. Memory of the local cloud',
    table(['Checkpoint', 'RSS after GC', 'Heap used', 'External', 'RSS vs idle'], rows),
    `DynamoDB ${result.storage === 'leveldb' ? 'on LevelDB (as `npm start`): stored jobs live on disk, so a leak would show as steady heap growth' : 'in memory: every stored job stays in the heap, so growth includes the data itself'}. Over the second half of the soak: heap ${fixed(result.heapKbPer1kJobsSecondHalf, 0)} KB and RSS ${fixed(result.rssKbPer1kJobsSecondHalf, 0)} KB per 1,000 jobs.`,
  ].join('\n\n');
}
