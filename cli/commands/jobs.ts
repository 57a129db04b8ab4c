import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { positiveInt, readJsonArgument, UsageError } from '../context.js';
import { duration, paint, progressBar, status, table, type Output } from '../format.js';

/** A job as `GET /v1/jobs/{id}` returns it (the fields the CLI shows). */
export interface JobView {
  readonly jobId: string;
  readonly type: string;
  readonly status: string;
  readonly progress: number;
  readonly progressMessage?: string;
  readonly attempt: number;
  readonly maxAttempts: number;
  readonly payload?: unknown;
  readonly result?: unknown;
  readonly error?: { code: string; message: string };
  readonly createdAt: string;
  readonly finishedAt?: string;
  readonly nextAttemptAt?: string;
  readonly tenant?: string;
  readonly priority?: string;
  readonly runAt?: string;
  readonly startBy?: string;
}

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED']);

export function registerJobCommands(program: Command, ctx: CliContext): void {
  const { output } = ctx;

  program
    .command('enqueue')
    .description('enqueue a job: conveyor enqueue analysis --payload @job.json')
    .argument('<type>', 'job type (analysis, email, pdf)')
    .requiredOption('-p, --payload <json>', 'the payload: inline JSON, @file.json, or - for stdin')
    .option('--idempotency-key <key>', 'send an Idempotency-Key: the same key and body give the same job')
    .option('--priority <priority>', 'low, normal or high (job types with priorities only)')
    .option('--ttl <seconds>', 'ttlSeconds: not started this many seconds after it is due, the job ends EXPIRED without running', positiveInt('--ttl'))
    .action(async (type: string, options: { payload: string; idempotencyKey?: string; priority?: string; ttl?: number }, command: Command) => {
      const payload = readJsonArgument(options.payload);
      const answer = await ctx.client(command).request<{ jobId: string; status: string; statusUrl: string }>('POST', 'v1/jobs', {
        body: { type, payload, ...(options.priority !== undefined ? { priority: options.priority } : {}), ...(options.ttl !== undefined ? { ttlSeconds: options.ttl } : {}) },
        ...(options.idempotencyKey ? { headers: { 'idempotency-key': options.idempotencyKey } } : {}),
      });
      if (ctx.json(command)) return ctx.printJson(answer);
      output.out(`${paint(output, 'green', '✔')} enqueued ${paint(output, 'bold', answer.jobId)} (${type}) — ${status(output, answer.status)}`);
      output.out(paint(output, 'gray', `  conveyor status ${answer.jobId} --watch`));
    });

  program
    .command('status')
    .description('show a job; --watch follows it with a live progress bar until it ends')
    .argument('<jobId>')
    .option('-w, --watch', 'poll until the job ends (exit 0 if it SUCCEEDED, 1 otherwise)')
    .option('--interval <ms>', 'polling interval for --watch', positiveInt('--interval'), 500)
    .action(async (jobId: string, options: { watch?: boolean; interval: number }, command: Command) => {
      const client = ctx.client(command);
      const read = () => client.request<JobView>('GET', `v1/jobs/${encodeURIComponent(jobId)}`);
      let job = await read();
      if (options.watch) {
        let lastLine = '';
        while (!FINAL.has(job.status)) {
          const line = watchLine(output, job);
          if (ctx.json(command)) {
            if (line !== lastLine) output.out(JSON.stringify({ status: job.status, progress: job.progress, attempt: job.attempt }));
          } else if (output.tty || line !== lastLine) output.live(line);
          lastLine = line;
          await new Promise((resolve) => setTimeout(resolve, options.interval));
          job = await read();
        }
        if (!ctx.json(command)) output.live(watchLine(output, job));
        output.endLive();
      }
      if (ctx.json(command)) ctx.printJson(job);
      else printJob(output, job);
      if (options.watch && job.status !== 'SUCCEEDED') process.exitCode = 1;
    });

  program
    .command('jobs')
    .description("list this key's jobs, newest first")
    .option('-s, --status <status>', 'only jobs in this status (QUEUED, RUNNING, RETRYING, SUCCEEDED, FAILED, DEAD, CANCELLED, EXPIRED)')
    .option('-t, --type <type>', 'only jobs of this type')
    .option('-l, --limit <n>', 'jobs per page (1–100)', positiveInt('--limit'), 25)
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (options: { status?: string; type?: string; limit: number; cursor?: string }, command: Command) => {
      const page = await ctx.client(command).request<{ jobs: JobView[]; cursor?: string }>('GET', 'v1/jobs', {
        query: { status: options.status?.toUpperCase(), type: options.type, limit: options.limit, cursor: options.cursor },
      });
      if (ctx.json(command)) return ctx.printJson(page);
      if (!page.jobs.length) return output.out(paint(output, 'gray', 'no jobs'));
      const now = Date.now();
      const rows = page.jobs.map((j) => [j.jobId, j.type, status(output, j.status), `${j.progress}%`, `${j.attempt}/${j.maxAttempts}`, duration(Math.round((now - Date.parse(j.createdAt)) / 1000)), j.error ? `${j.error.code}` : '']);
      for (const line of table(output, ['JOB', 'TYPE', 'STATUS', 'PROGRESS', 'ATTEMPT', 'AGE', 'ERROR'], rows)) output.out(line);
      if (page.cursor) output.out(paint(output, 'gray', `more: conveyor jobs --cursor ${page.cursor}`));
    });

  program
    .command('retry')
    .description('retry one DEAD or FAILED job (admin), optionally with an edited payload')
    .argument('<jobId>')
    .option('-p, --payload <json>', 'replace the payload: inline JSON, @file.json, or - for stdin (validated again)')
    .action(async (jobId: string, options: { payload?: string }, command: Command) => {
      const body = options.payload !== undefined ? { payload: readJsonArgument(options.payload) } : undefined;
      const job = await ctx.client(command).request<JobView>('POST', `v1/jobs/${encodeURIComponent(jobId)}/retry`, body ? { body } : {});
      if (ctx.json(command)) return ctx.printJson(job);
      output.out(`${paint(output, 'green', '✔')} ${job.jobId} is ${status(output, job.status)} again (attempts reset)`);
    });

  program
    .command('edit')
    .description('change a job that has not started: its payload, runAt or priority (it runs once, with the edit)')
    .argument('<jobId>')
    .option('-p, --payload <json>', 'the new payload: inline JSON, @file.json, or - for stdin (validated as at enqueue)')
    .option('--run-at <iso>', 'start no earlier than this ISO 8601 time (e.g. 2026-12-01T08:00:00Z)')
    .option('--priority <priority>', 'low, normal or high (job types with priorities only)')
    .action(async (jobId: string, options: { payload?: string; runAt?: string; priority?: string }, command: Command) => {
      const body = {
        ...(options.payload !== undefined ? { payload: readJsonArgument(options.payload) } : {}),
        ...(options.runAt !== undefined ? { runAt: options.runAt } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
      };
      if (Object.keys(body).length === 0) throw new UsageError('give --payload, --run-at or --priority');
      const job = await ctx.client(command).request<JobView>('PATCH', `v1/jobs/${encodeURIComponent(jobId)}`, { body });
      if (ctx.json(command)) return ctx.printJson(job);
      output.out(`${paint(output, 'green', '✔')} edited ${paint(output, 'bold', job.jobId)} — ${status(output, job.status)}`);
      printJob(output, job);
    });

  program
    .command('cancel')
    .description('cancel a job (a running one stops at its next progress report)')
    .argument('<jobId>')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const job = await ctx.client(command).request<JobView>('DELETE', `v1/jobs/${encodeURIComponent(jobId)}`);
      if (ctx.json(command)) return ctx.printJson(job);
      output.out(`${paint(output, 'green', '✔')} ${job?.jobId ?? jobId}: ${job?.status ? status(output, job.status) : 'cancellation requested'}`);
    });
}

function watchLine(output: Output, job: JobView): string {
  const retry = job.status === 'RETRYING' && job.nextAttemptAt ? ` next attempt ${new Date(job.nextAttemptAt).toLocaleTimeString()}` : '';
  return `${status(output, job.status.padEnd(9))} ${progressBar(job.progress)}  attempt ${job.attempt}/${job.maxAttempts}${retry}${job.progressMessage ? `  ${job.progressMessage}` : ''}`;
}

export function printJob(output: Output, job: JobView): void {
  const rows: [string, string][] = [
    ['type', job.type],
    ['status', status(output, job.status)],
    ['progress', `${progressBar(job.progress, 20)}${job.progressMessage ? `  ${job.progressMessage}` : ''}`],
    ['attempt', `${job.attempt}/${job.maxAttempts}`],
    ['created', job.createdAt],
  ];
  if (job.priority) rows.push(['priority', job.priority]);
  if (job.runAt) rows.push(['due', job.runAt]);
  if (job.startBy) rows.push(['start by', `${job.startBy}${job.status === 'QUEUED' ? ' (else EXPIRED)' : ''}`]);
  if (job.tenant) rows.push(['tenant', job.tenant]);
  if (job.finishedAt) rows.push(['finished', job.finishedAt]);
  if (job.error) rows.push(['error', paint(output, 'red', `${job.error.code}: ${job.error.message}`)]);
  if (job.result !== undefined) rows.push(['result', JSON.stringify(job.result)]);
  if (job.payload !== undefined) rows.push(['payload', JSON.stringify(job.payload)]);
  output.out(paint(output, 'bold', `job ${job.jobId}`));
  for (const [name, value] of rows) output.out(`  ${paint(output, 'gray', name.padEnd(9))}${value}`);
}

