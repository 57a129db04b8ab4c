import type { Command } from 'commander';
import type { JobType, RedriveTask } from 'conveyor/client';
import type { CliContext } from '../context.js';
import { positiveInt } from '../context.js';
import { duration, paint, status, table } from '../format.js';

const COUNTED = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED'] as const;

export function registerQueueCommands(program: Command, ctx: CliContext): void {
  const { output } = ctx;

  program
    .command('queues')
    .description('per job type: queue and DLQ depths, oldest waiting job, jobs by status (admin)')
    .option('--window <minutes>', 'count jobs created within this many minutes', positiveInt('--window'), 60)
    .action(async (options: { window: number }, command: Command) => {
      const overview = await ctx.client(command).admin.queues({ windowMinutes: options.window });
      if (ctx.json(command)) return ctx.printJson(overview);
      const rows = overview.queues.map((q) => [
        paint(output, 'bold', q.type),
        String(q.queue.visible),
        String(q.queue.inFlight),
        String(q.queue.delayed),
        q.dlq.visible > 0 ? paint(output, ['red', 'bold'], String(q.dlq.visible)) : '0',
        duration(q.oldestWaitingSeconds),
        COUNTED.filter((s) => q.counts[s]).map((s) => `${status(output, s)} ${q.counts[s]}`).join('  ') || paint(output, 'gray', '-'),
      ]);
      for (const line of table(output, ['TYPE', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'DLQ', 'OLDEST', `LAST ${overview.window.minutes} MIN`], rows)) output.out(line);
      if (!overview.window.complete) output.out(paint(output, 'gray', 'counts are partial: the window holds more jobs than one read covers'));
    });

  const dlq = program.command('dlq').description('dead-letter queues: list and redrive (admin)');

  dlq
    .command('list')
    .description('the dead jobs of a type, with their last error and attempts (messages stay in the DLQ)')
    .argument('<type>')
    .option('-l, --limit <n>', 'jobs per page (1–100)', positiveInt('--limit'), 25)
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (type: string, options: { limit: number; cursor?: string }, command: Command) => {
      // The API answers an unknown type with a 404 naming the types that exist.
      const listing = await ctx.client(command).admin.deadLetters(type as JobType, { limit: options.limit, ...(options.cursor !== undefined ? { cursor: options.cursor } : {}) });
      if (ctx.json(command)) return ctx.printJson(listing);
      output.out(`${paint(output, 'bold', `${type} DLQ`)}: ${listing.dlq.visible} message(s), ${listing.deadJobs} dead job(s)`);
      if (listing.unmatchedMessages > 0) {
        output.out(paint(output, 'yellow', `  ${listing.unmatchedMessages} message(s) without a DEAD job: old copies of jobs retried by id, or jobs that died during a redrive`));
      }
      if (!listing.jobs.length) return;
      const rows = listing.jobs.map((j) => [j.jobId, j.tenant ?? '', `${j.attempt}/${j.maxAttempts}`, j.finishedAt ?? '', j.error ? `${j.error.code}: ${j.error.message}`.slice(0, 80) : '']);
      for (const line of table(output, ['JOB', 'TENANT', 'ATTEMPTS', 'DIED', 'LAST ERROR'], rows)) output.out(line);
      if (listing.cursor) output.out(paint(output, 'gray', `more: conveyor dlq list ${type} --cursor ${listing.cursor}`));
    });

  dlq
    .command('redrive')
    .description('move every DLQ message back to its queue; the jobs run again with fresh attempts')
    .argument('<type>')
    .option('--no-wait', 'return once the move has started')
    .option('--interval <ms>', 'progress polling interval', positiveInt('--interval'), 250)
    .action(async (type: string, options: { wait: boolean; interval: number }, command: Command) => {
      const client = ctx.client(command);
      const started = await client.admin.redrive(type as JobType);
      let task: RedriveTask | undefined = started.task;
      if (started.dlqMessages === 0) {
        if (ctx.json(command)) return ctx.printJson(started);
        return output.out(`${type} DLQ is empty: nothing to redrive`);
      }
      while (options.wait && task?.status === 'RUNNING') {
        if (!ctx.json(command)) output.live(`moving ${task.moved}/${task.toMove}…`);
        await new Promise((resolve) => setTimeout(resolve, options.interval));
        task = (await client.admin.redriveStatus(type as JobType)).task ?? undefined;
      }
      output.endLive();
      if (ctx.json(command)) return ctx.printJson({ ...started, task });
      output.out(`${paint(output, 'green', '✔')} ${type}: ${started.requeued} dead job(s) back to QUEUED; moved ${task?.moved ?? 0}/${task?.toMove ?? started.dlqMessages} message(s) — ${task?.status ?? 'started'}`);
      if (task?.status === 'FAILED' || task?.status === 'CANCELLED') {
        output.err(`redrive ${task.status.toLowerCase()}${task.failureReason ? `: ${task.failureReason}` : ''}`);
        process.exitCode = 1;
      }
    });
}
