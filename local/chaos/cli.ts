/**
 * `npm run chaos`: the chaos run against the fault lab on 127.0.0.1 (local servers on ephemeral ports).
 * Bounded in count (--jobs) and time (--max-seconds). Prints the figures; exits 1 when an invariant broke.
 */
import '../quiet-sdk.js';
import { Command } from 'commander';
import { DEFAULT_CHAOS, runChaos } from './run.js';

const program = new Command()
  .name('chaos')
  .option('--jobs <n>', 'jobs to enqueue', String(DEFAULT_CHAOS.jobs))
  .option('--seed <n>', 'seed of the fault plan', String(DEFAULT_CHAOS.seed))
  .option('--max-seconds <n>', 'give up after this long', String(DEFAULT_CHAOS.maxSeconds))
  .option('--fifo-groups <n>', 'after the standard run, a FIFO run of as many jobs spread over this many groups (0: none)', '50')
  .option('--flows <n>', 'flows (a parent and 2–6 children, some deeper) enqueued besides the jobs, on the standard queue (default: 5% of --jobs)')
  .option('--throttle <rate>', 'share of invocations throttled (an account short of Lambda concurrency)', String(DEFAULT_CHAOS.rates.throttle))
  .parse();
const opts = program.opts<{ jobs: string; seed: string; maxSeconds: string; throttle: string; fifoGroups: string; flows?: string }>();
const jobs = Math.min(100_000, Math.max(1, Number(opts.jobs)));
const rates = { ...DEFAULT_CHAOS.rates, throttle: Math.min(0.9, Math.max(0, Number(opts.throttle))) };

const flows = Math.min(100_000, Math.max(0, Math.floor(opts.flows !== undefined ? Number(opts.flows) : jobs * 0.05)));
const fifoGroups = Math.max(0, Math.floor(Number(opts.fifoGroups)));
// Flows on the standard queue only: a FIFO type cannot have children.
const runs = [{ name: 'standard queue', fifoGroups: 0, flows }, ...(fifoGroups > 0 ? [{ name: `FIFO queue, ${fifoGroups} groups`, fifoGroups, flows: 0 }] : [])];

let ok = true;
for (const run of runs) {
  console.log(`chaos (${run.name}): ${jobs} jobs${run.flows > 0 ? ` and ${run.flows} flows` : ''}, seed ${opts.seed}, fault rates ${JSON.stringify(rates)}`);
  const report = await runChaos({ ...DEFAULT_CHAOS, jobs, rates, seed: Number(opts.seed), maxSeconds: Number(opts.maxSeconds), fifoGroups: run.fifoGroups, flows: run.flows, log: (line) => console.log(line) });
  console.log(`\nfigures (${run.name})`);
  for (const [name, value] of Object.entries(report.figures)) console.log(`  ${name.padEnd(34)} ${value}`);
  if (report.flowsLine) console.log(`\n${report.flowsLine}${report.ok ? '' : ' (unless listed below)'}`);
  if (report.ok) {
    console.log('\nall invariants hold: every accepted job (and every job whose API died before sending it) in exactly one terminal state, none stuck or still waiting for a send, DLQ = DEAD jobs (each at least once, every message a consumer’s hand-off), the dead-letter listing = DEAD jobs (once each), every SUCCEEDED/FAILED/DEAD job with a callbackUrl had its webhook queued, every SUCCEEDED job\'s side effect exactly once, attempts = handler runs (none DEAD before maxAttempts runs, none run past maxAttempts beyond the reruns its faults explain)' + (run.fifoGroups > 0 ? '; each group\'s jobs ran one at a time, in enqueue order (a job whose API died before its send joins the end of its group)\n' : '\n'));
  } else {
    ok = false;
    console.log(`\n${report.violations.length} invariant violation(s):`);
    for (const violation of report.violations.slice(0, 50)) console.log(`  - ${violation}`);
  }
}
process.exit(ok ? 0 : 1);
