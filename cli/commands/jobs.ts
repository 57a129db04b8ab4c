import { Option, type Command } from 'commander';
import type { Job, JobStatus, JobType } from 'conveyor/client';
import type { CliContext } from '../context.js';
import { positiveInt, readJsonArgument, UsageError } from '../context.js';
import { duration, paint, progressBar, status, table, type Output } from '../format.js';

/** A job as the CLI prints it: the client's view, with the tenant operator routes add. */
export type JobView = Job;

const FINAL = new Set(['SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED']);

interface EnqueueFlags {
  payload: string;
  idempotencyKey?: string;
  delay?: number;
  runAt?: string;
  callbackUrl?: string;
  groupKey?: string;
  priority?: 'low' | 'normal' | 'high';
  ttl?: number;
}

export function registerJobCommands(program: Command, ctx: CliContext): void {
  const { output } = ctx;

  program
    .command('enqueue')
    .description('enqueue a job: conveyor enqueue analysis --payload @job.json')
    .argument('<type>', 'a registered job type (analysis, email, pdf, notification, ai…; `conveyor queues` lists them)')
    .requiredOption('-p, --payload <json>', 'the payload: inline JSON, @file.json, or - for stdin')
    .option('--idempotency-key <key>', 'send an Idempotency-Key: the same key and body give the same job')
    .option('--group-key <key>', 'the job\'s group: one at a time in enqueue order on a FIFO type, a fair share on a standard one (default: your tenant)')
    .option('--delay <seconds>', 'start no earlier than this many seconds from now (0–900)', nonNegativeInt('--delay'))
    .option('--run-at <iso>', 'start no earlier than this instant (ISO 8601 with a zone, e.g. 2026-12-01T08:00:00Z)')
    .option('--callback-url <url>', 'POST the final status to this URL (signed)')
    .addOption(new Option('--priority <priority>', "the job's priority (job types with priorities)").choices(['low', 'normal', 'high']))
    .option('--ttl <seconds>', 'ttlSeconds: not started this many seconds after it is due, the job ends EXPIRED without running', positiveInt('--ttl'))
    .action(async (type: string, options: EnqueueFlags, command: Command) => {
      const payload = readJsonArgument(options.payload);
      // The API validates type and payload; the CLI passes what it was given.
      const answer = await ctx.client(command).enqueue(type as JobType, payload as never, {
        ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
        ...(options.delay !== undefined ? { delaySeconds: options.delay } : {}),
        ...(options.runAt !== undefined ? { runAt: options.runAt } : {}),
        ...(options.callbackUrl !== undefined ? { callbackUrl: options.callbackUrl } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
        ...(options.ttl !== undefined ? { ttlSeconds: options.ttl } : {}),
        ...(options.groupKey !== undefined ? { groupKey: options.groupKey } : {}),
      });
      if (ctx.json(command)) return ctx.printJson({ jobId: answer.jobId, status: answer.status, statusUrl: `/v1/jobs/${answer.jobId}`, replayed: answer.replayed });
      output.out(`${paint(output, 'green', '✔')} ${answer.replayed ? 'already enqueued' : 'enqueued'} ${paint(output, 'bold', answer.jobId)} (${type}) — ${status(output, answer.status)}`);
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
      const read = (): Promise<JobView> => client.get(jobId);
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
      const page = await ctx.client(command).list({
        ...(options.status !== undefined ? { status: options.status.toUpperCase() as JobStatus } : {}),
        ...(options.type !== undefined ? { type: options.type as JobType } : {}),
        limit: options.limit,
        ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
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
      const job: JobView = await ctx.client(command).retry(jobId, options.payload !== undefined ? { payload: readJsonArgument(options.payload) as never } : {});
      if (ctx.json(command)) return ctx.printJson(job);
      output.out(`${paint(output, 'green', '✔')} ${job.jobId} is ${status(output, job.status)} again (attempts reset)`);
    });

  program
    .command('edit')
    .description('change a job that has not started: its payload, runAt or priority (it runs once, with the edit)')
    .argument('<jobId>')
    .option('-p, --payload <json>', 'the new payload: inline JSON, @file.json, or - for stdin (validated as at enqueue)')
    .option('--run-at <iso>', 'start no earlier than this ISO 8601 time (e.g. 2026-12-01T08:00:00Z)')
    .addOption(new Option('--priority <priority>', 'the new priority (job types with priorities)').choices(['low', 'normal', 'high']))
    .action(async (jobId: string, options: { payload?: string; runAt?: string; priority?: 'low' | 'normal' | 'high' }, command: Command) => {
      const edit = {
        ...(options.payload !== undefined ? { payload: readJsonArgument(options.payload) as never } : {}),
        ...(options.runAt !== undefined ? { runAt: options.runAt } : {}),
        ...(options.priority !== undefined ? { priority: options.priority } : {}),
      };
      if (Object.keys(edit).length === 0) throw new UsageError('give --payload, --run-at or --priority');
      const job: JobView = await ctx.client(command).edit(jobId, edit);
      if (ctx.json(command)) return ctx.printJson(job);
      output.out(`${paint(output, 'green', '✔')} edited ${paint(output, 'bold', job.jobId)} — ${status(output, job.status)}`);
      printJob(output, job);
    });

  program
    .command('cancel')
    .description('cancel a job (a running one stops at its next progress report)')
    .argument('<jobId>')
    .action(async (jobId: string, _options: unknown, command: Command) => {
      const job: JobView | undefined = await ctx.client(command).cancel(jobId);
      if (ctx.json(command)) return ctx.printJson(job);
      output.out(`${paint(output, 'green', '✔')} ${job?.jobId ?? jobId}: ${job?.status ? status(output, job.status) : 'cancellation requested'}`);
    });
}

function watchLine(output: Output, job: JobView): string {
  const retry = job.status === 'RETRYING' && job.nextAttemptAt ? ` next attempt ${new Date(job.nextAttemptAt).toLocaleTimeString()}` : '';
  return `${status(output, job.status.padEnd(9))} ${progressBar(job.progress)}  attempt ${job.attempt}/${job.maxAttempts}${retry}${job.progressMessage ? `  ${job.progressMessage}` : ''}`;
}

/** A job in a few lines: what an operator reads. `--json` prints the whole job, payload and result included. */
export function printJob(output: Output, job: JobView): void {
  const rows: [string, string][] = [
    ['type', job.type],
    ['status', status(output, job.status)],
    ['progress', `${progressBar(job.progress, 20)}${job.progressMessage ? `  ${job.progressMessage}` : ''}`],
    ['attempt', `${job.attempt}/${job.maxAttempts}`],
    ['created', job.createdAt],
  ];
  if (job.priority) rows.push(['priority', job.priority]);
  if (job.startBy) rows.push(['start by', `${job.startBy}${job.status === 'QUEUED' ? ' (else EXPIRED)' : ''}`]);
  if (job.tenant) rows.push(['tenant', job.tenant]);
  if (job.groupKey) rows.push(['group', job.groupKey]);
  if (job.runAt) rows.push(['runs at', job.runAt]);
  if (job.nextAttemptAt) rows.push(['next try', job.nextAttemptAt]);
  if (job.finishedAt) rows.push(['finished', job.finishedAt]);
  if (job.error) rows.push(['error', paint(output, 'red', `${job.error.code}: ${job.error.message}`)]);
  if (job.result !== undefined) rows.push(['result', summarise(job.result)]);
  if (job.download) rows.push(['download', `${job.download.url}  (${job.download.fileName}, ${kilobytes(job.download.bytes)}, until ${job.download.expiresAt})`]);
  if (job.resultDownload) rows.push(['result', `${kilobytes(job.resultDownload.bytes)} stored apart: ${job.resultDownload.url}  (until ${job.resultDownload.expiresAt})`]);
  if (job.payload !== undefined) rows.push(['payload', paint(output, 'gray', `${kilobytes(JSON.stringify(job.payload).length)} (--json shows it)`)]);
  if (job.payloadDownload) rows.push(['payload', `${kilobytes(job.payloadDownload.bytes)} stored apart: ${job.payloadDownload.url}  (until ${job.payloadDownload.expiresAt})`]);
  output.out(paint(output, 'bold', `job ${job.jobId}`));
  for (const [name, value] of rows) output.out(`  ${paint(output, 'gray', name.padEnd(9))}${value}`);
}

/** A result in one line: its top-level fields, each value cut short. */
export function summarise(result: unknown, width = 100): string {
  if (result === null || typeof result !== 'object' || Array.isArray(result)) return cut(JSON.stringify(result), width);
  const fields = Object.entries(result).map(([name, value]) => `${name}=${cut(typeof value === 'string' ? value : JSON.stringify(value), 40)}`);
  return cut(fields.join('  '), width);
}

function cut(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

function kilobytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

function nonNegativeInt(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 0) throw new UsageError(`${flag} must be a whole number ≥ 0, got "${value}"`);
    return parsed;
  };
}
