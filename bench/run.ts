/**
 * `npm run bench`: cost per million jobs, throughput, latency, BullMQ side by side, Lambda bundle
 * size and cold init, and memory — in one run, printed as Markdown tables (figures and ratios side
 * by side) and written to bench/results/. `--quick` is a small, fast run for iteration.
 * Nothing here is a test: timings depend on the machine and its load, which the report states.
 */
// Lambda runs Node 22; the SDK's notice that it will drop Node 20 in 2027 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { measureBullmq, type BullmqResult } from './sections/bullmq.js';
import { measureBundles } from './sections/bundles.js';
import { measureCost } from './sections/cost.js';
import { renderCost } from './sections/cost-report.js';
import { measureLatency, type LatencyResult } from './sections/latency.js';
import { measureMemory } from './sections/memory.js';
import { renderBundles, renderMemory, renderThroughputAndLatency } from './sections/run-report.js';
import { measureRedrive, renderRedrive } from './sections/redrive.js';
import { measureThroughput, type ThroughputResult } from './sections/throughput.js';

const SECTIONS = ['cost', 'throughput', 'latency', 'bullmq', 'bundle', 'memory', 'redrive'] as const;
type Section = (typeof SECTIONS)[number];

function bounded(name: string, min: number, max: number) {
  return (raw: string) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return value;
  };
}

const program = new Command('bench')
  .description('Conveyor benchmarks: cost, throughput, latency, BullMQ comparison, bundles, memory')
  .option('--quick', 'a small run for iteration (fewer jobs, shorter soak)', false)
  .addOption(new Option('--sections <list>', `comma-separated subset of ${SECTIONS.join(',')}`).default(SECTIONS.join(',')))
  .option('--jobs <n>', 'jobs in the throughput runs (Conveyor and BullMQ)', bounded('--jobs', 100, 200_000))
  .option('--soak <n>', 'jobs in the memory soak', bounded('--soak', 1_000, 500_000))
  .option('--redrive-jobs <n>', 'dead jobs in the redrive run', bounded('--redrive-jobs', 10, 100_000))
  .option('--redrive-crash-at <n>', 'the redrive consumer dies once before the n-th record (short runs, so it resumes in seconds)', bounded('--redrive-crash-at', 1, 100_000))
  .option('--cost-jobs <n>', 'jobs per cost scenario burst', bounded('--cost-jobs', 10, 10_000))
  .option('--concurrency <n>', 'concurrent HTTP clients posting jobs', bounded('--concurrency', 1, 256), 32)
  .option('--api-memory-mb <n>', 'memory of the API function, for its GB-seconds (the CDK sets it)', bounded('--api-memory-mb', 128, 10_240), 512)
  .addOption(new Option('--storage <kind>', 'local DynamoDB storage for throughput, latency and soak: leveldb (as npm start) or memory (as the tests)').choices(['leveldb', 'memory']).default('leveldb'))
  .addOption(new Option('--threads <mode>', 'local DynamoDB, SQS and the API in worker threads (on, as npm start runs them) or all in one thread (off)').choices(['on', 'off']).default('on'))
  .option('--cpu-prof', 'write a V8 CPU profile of the local cloud during the throughput run to <out>/profiles', false)
  .option('--out <dir>', 'where results.json and results.md go', 'bench/results')
  .parse();

const opts = program.opts<{ quick: boolean; sections: string; jobs?: number; soak?: number; redriveJobs?: number; redriveCrashAt?: number; costJobs?: number; concurrency: number; apiMemoryMb: number; storage: 'leveldb' | 'memory'; cpuProf: boolean; threads: 'on' | 'off'; out: string }>();
// The local cloud processes the sections start read it (bench/lib/cloud-child.ts).
process.env.BENCH_CLOUD_THREADS = opts.threads;
const sections = new Set(opts.sections.split(',').map((s) => s.trim()) as Section[]);
for (const section of sections) if (!SECTIONS.includes(section)) program.error(`unknown section "${section}"; choose from ${SECTIONS.join(', ')}`);

const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
const startedAt = new Date();
const machine = {
  cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
  memoryGb: +(totalmem() / 2 ** 30).toFixed(1),
  node: process.version,
  loadAverageAtStart: loadavg().map((l) => +l.toFixed(2)),
};
const results: Record<string, unknown> = { startedAt: startedAt.toISOString(), quick: opts.quick, threads: opts.threads, machine };
const markdown: string[] = [
  `## Conveyor benchmarks — ${startedAt.toISOString().slice(0, 16)}Z${opts.quick ? ' (quick)' : ''}`,
  `Machine: ${machine.cpus}, ${machine.memoryGb} GB, Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' / ')} (1/5/15 min). Local cloud: ${opts.threads === 'on' ? 'DynamoDB, SQS and the API in worker threads, the consumers in the main thread (as `npm start`)' : 'everything in one thread (--threads off)'}.`,
];

// Each local cloud gets a fresh LevelDB folder (or none, in memory), removed afterwards.
async function withStorage<T>(run: (dataDir: string | undefined) => Promise<T>): Promise<T> {
  if (opts.storage === 'memory') return run(undefined);
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-bench-data-'));
  try {
    return await run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const jobs = opts.jobs ?? (opts.quick ? 2_000 : 20_000);
// Printed in the issue's order (1 cost … 6 memory), whatever order they ran in.
const sectionsOut: string[] = [];
if (sections.has('bundle')) {
  log('bundles: building each function entry and timing cold imports…');
  const bundles = await measureBundles({ runs: opts.quick ? 5 : 9, log });
  results.bundles = bundles;
  sectionsOut[5] = renderBundles(bundles);
}
if (sections.has('cost')) {
  const cost = await measureCost({ jobs: opts.costJobs ?? (opts.quick ? 100 : 500), concurrency: Math.min(opts.concurrency, 16), progressSpacingMs: 1_050, apiMemoryMb: opts.apiMemoryMb, log });
  results.cost = cost;
  sectionsOut[1] = renderCost(cost);
}
let latency: LatencyResult | undefined;
if (sections.has('latency')) {
  log('latency: jobs one at a time on an idle local cloud…');
  latency = await withStorage((dataDir) => measureLatency({ jobs: opts.quick ? 100 : 500, log, ...(dataDir ? { dataDir } : {}) }));
  results.latency = latency;
}
let throughput: ThroughputResult | undefined;
if (sections.has('throughput')) {
  log(`throughput: ${jobs} jobs through the local cloud…`);
  const cpuProfileDir = opts.cpuProf ? join(opts.out, 'profiles') : undefined;
  throughput = await withStorage((dataDir) => measureThroughput({ jobs, concurrency: opts.concurrency, log, verify: true, ...(dataDir ? { dataDir } : {}), ...(cpuProfileDir ? { cpuProfileDir } : {}) }));
  results.throughput = throughput;
}
let bullmq: BullmqResult | undefined;
if (sections.has('bullmq')) {
  log(`bullmq: ${jobs} jobs on BullMQ + redis-server…`);
  bullmq = await measureBullmq({ jobs, concurrency: opts.concurrency, workerConcurrency: 50, latencyJobs: opts.quick ? 100 : 500, log });
  results.bullmq = bullmq;
}
if (throughput || latency || bullmq) sectionsOut[2] = renderThroughputAndLatency(throughput, latency, bullmq);
if (sections.has('memory')) {
  const soak = opts.soak ?? (opts.quick ? 5_000 : 100_000);
  log(`memory: idle, then a soak of ${soak} jobs…`);
  const memory = await withStorage((dataDir) => measureMemory({ jobs: soak, checkpoints: 10, concurrency: opts.concurrency, log, ...(dataDir ? { dataDir } : {}) }));
  results.memory = memory;
  sectionsOut[6] = renderMemory(memory);
}

if (sections.has('redrive')) {
  const redriveJobs = opts.redriveJobs ?? (opts.quick ? 1_000 : 10_000);
  log(`redrive: ${redriveJobs} dead jobs, one redrive task…`);
  const redrive = await withStorage((dataDir) => measureRedrive({ jobs: redriveJobs, log, timeoutMs: 30 * 60_000, ...(opts.redriveCrashAt ? { crashAt: opts.redriveCrashAt } : {}), ...(dataDir ? { dataDir } : {}) }));
  results.redrive = redrive;
  sectionsOut[7] = renderRedrive(redrive);
}

markdown.push(...sectionsOut.filter(Boolean));
markdown.push(`Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' / ')}; the run took ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s.`);
const report = markdown.join('\n\n');
console.log(report);
mkdirSync(opts.out, { recursive: true });
writeFileSync(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(opts.out, 'results.md'), `${report}\n`);
log(`results written to ${join(opts.out, 'results.json')} and results.md`);
