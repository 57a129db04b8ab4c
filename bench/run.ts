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
import { measureCost } from './sections/cost.js';
import { renderCost } from './sections/cost-report.js';

const SECTIONS = ['cost', 'throughput', 'latency', 'bullmq', 'bundle', 'memory'] as const;
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
  .option('--cost-jobs <n>', 'jobs per cost scenario burst', bounded('--cost-jobs', 10, 10_000))
  .option('--concurrency <n>', 'concurrent HTTP clients posting jobs', bounded('--concurrency', 1, 256), 32)
  .option('--api-memory-mb <n>', 'memory of the API function, for its GB-seconds (the CDK sets it)', bounded('--api-memory-mb', 128, 10_240), 256)
  .option('--out <dir>', 'where results.json and results.md go', 'bench/results')
  .parse();

const opts = program.opts<{ quick: boolean; sections: string; jobs?: number; soak?: number; costJobs?: number; concurrency: number; apiMemoryMb: number; out: string }>();
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
const results: Record<string, unknown> = { startedAt: startedAt.toISOString(), quick: opts.quick, machine };
const markdown: string[] = [
  `## Conveyor benchmarks — ${startedAt.toISOString().slice(0, 16)}Z${opts.quick ? ' (quick)' : ''}`,
  `Machine: ${machine.cpus}, ${machine.memoryGb} GB, Node ${machine.node}; load average at start ${machine.loadAverageAtStart.join(' / ')} (1/5/15 min).`,
];

if (sections.has('cost')) {
  const cost = await measureCost({ jobs: opts.costJobs ?? (opts.quick ? 100 : 500), concurrency: Math.min(opts.concurrency, 16), progressSpacingMs: 1_050, apiMemoryMb: opts.apiMemoryMb, log });
  results.cost = cost;
  markdown.push(renderCost(cost));
}

markdown.push(`Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(' / ')}; the run took ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s.`);
const report = markdown.join('\n\n');
console.log(report);
mkdirSync(opts.out, { recursive: true });
writeFileSync(join(opts.out, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(opts.out, 'results.md'), `${report}\n`);
log(`results written to ${join(opts.out, 'results.json')} and results.md`);
