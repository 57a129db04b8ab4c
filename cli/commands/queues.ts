import type { Command } from 'commander';
import type { JobType, MessageMoveTask, RedriveTask } from 'conveyor/client';
import type { CliContext } from '../context.js';
import { positiveInt } from '../context.js';
import { duration, paint, progressBar, redrivePercent, status, table } from '../format.js';

const COUNTED = ['QUEUED', 'RUNNING', 'RETRYING', 'SUCCEEDED', 'FAILED', 'DEAD', 'CANCELLED', 'EXPIRED'] as const;

export function registerQueueCommands(program: Command, ctx: CliContext): void {
  const { output } = ctx;

  const queues = program
    .command('queues')
    .description('per job type: queue and DLQ depths, oldest waiting job, jobs by status (admin); pause and resume a type (operator)')
    .option('--window <minutes>', 'count jobs created within this many minutes', positiveInt('--window'), 60)
    .action(async (options: { window: number }, command: Command) => {
      const overview = await ctx.client(command).admin.queues({ windowMinutes: options.window });
      if (ctx.json(command)) return ctx.printJson(overview);
      const rows = overview.queues.map((q) => [
        q.paused ? `${paint(output, 'bold', q.type)} ${paint(output, ['yellow', 'bold'], 'PAUSED')}` : paint(output, 'bold', q.type),
        String(q.queue.visible),
        String(q.queue.inFlight),
        String(q.queue.delayed),
        dlqCount(q.dlq.visible),
        duration(q.oldestWaitingSeconds),
        COUNTED.filter((s) => q.counts[s]).map((s) => `${status(output, s)} ${q.counts[s]}`).join('  ') || paint(output, 'gray', '-'),
      ]);
      const hooks = overview.webhooks;
      // The webhook deliveries' queue, across tenants: no job counts of its own.
      if (hooks) rows.push([paint(output, 'bold', 'webhooks'), String(hooks.queue.visible), String(hooks.queue.inFlight), String(hooks.queue.delayed), dlqCount(hooks.dlq.visible), '-', paint(output, 'gray', 'completion webhooks')]);
      for (const line of table(output, ['TYPE', 'VISIBLE', 'IN FLIGHT', 'DELAYED', 'DLQ', 'OLDEST', `LAST ${overview.window.minutes} MIN`], rows)) output.out(line);
      if (!overview.window.complete) output.out(paint(output, 'gray', 'counts are partial: the window holds more jobs than one read covers'));
      for (const q of overview.queues.filter((row) => row.paused)) {
        output.out(paint(output, 'yellow', `${q.type} is paused since ${q.pausedAt ?? '?'} (by ${q.pausedBy ?? '?'}): its jobs wait in the queue — conveyor queues resume ${q.type}`));
      }
    });

  queues
    .command('pause')
    .description('stop running jobs of a type: new and waiting jobs stay queued, jobs under way finish (operator)')
    .argument('<type>')
    .action(async (type: string, _options: unknown, command: Command) => {
      const state = await ctx.client(command).admin.pause(type as JobType);
      if (ctx.json(command)) return ctx.printJson(state);
      output.out(`${paint(output, 'yellow', '⏸')} ${type} paused${state.paused ? ` since ${state.pausedAt} (by ${state.pausedBy})` : ''}: jobs keep queuing and run after \`conveyor queues resume ${type}\``);
    });

  queues
    .command('resume')
    .description('run the jobs of a paused type again (operator)')
    .argument('<type>')
    .action(async (type: string, _options: unknown, command: Command) => {
      const state = await ctx.client(command).admin.resume(type as JobType);
      if (ctx.json(command)) return ctx.printJson(state);
      output.out(`${paint(output, 'green', '▶')} ${type} resumed: its waiting jobs run now`);
    });

  const dlqCount = (n: number) => (n > 0 ? paint(output, ['red', 'bold'], String(n)) : '0');

  const dlq = program.command('dlq').description('dead-letter queues: list and redrive (admin)');

  dlq
    .command('list')
    .description('the dead jobs of a type, with their last error and attempts, or `webhooks`: the webhook deliveries that failed every attempt (messages stay in the DLQ)')
    .argument('<type>', 'a job type, or webhooks')
    .option('-l, --limit <n>', 'jobs per page (1–100)', positiveInt('--limit'), 25)
    .option('--cursor <cursor>', 'continue from a previous page')
    .action(async (type: string, options: { limit: number; cursor?: string }, command: Command) => {
      if (type === 'webhooks') return listWebhooks(options, command);
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
    .description('put the dead jobs of a type back and move its DLQ messages back to its queue (a task; followed with a progress bar); webhooks: the deliveries are attempted again, freshly signed')
    .argument('<type>', 'a job type, or webhooks')
    .option('--no-wait', 'return once the task is recorded (webhooks: once the move has started)')
    .option('--interval <ms>', 'progress polling interval', positiveInt('--interval'), 500)
    .action(async (type: string, options: { wait: boolean; interval: number }, command: Command) => {
      if (type === 'webhooks') return redriveWebhooks(options, command);
      const client = ctx.client(command);
      const accepted = await client.admin.redrive(type as JobType);
      let task: RedriveTask = accepted.task;
      if (!ctx.json(command)) output.out(`${type}: redrive task ${accepted.taskId}${accepted.resumed ? ' (resumed: it had stalled)' : ''} — ${task.deadJobs} dead job(s), ${task.dlqMessages} DLQ message(s)`);
      while (options.wait && (task.state === 'REQUEUEING' || task.state === 'MOVING')) {
        if (!ctx.json(command)) output.live(redriveLine(task));
        await new Promise((resolve) => setTimeout(resolve, options.interval));
        const seen = (await client.admin.redriveStatus(type as JobType)).task;
        // Another redrive of the queue replaced it (only once this one finished): stop following.
        if (!seen || seen.taskId !== accepted.taskId) break;
        task = seen;
      }
      if (!ctx.json(command) && options.wait) output.live(redriveLine(task));
      output.endLive();
      if (ctx.json(command)) return ctx.printJson({ ...accepted, task });
      if (!options.wait) return output.out(paint(output, 'gray', `follow it: conveyor dlq redrive-status ${type}`));
      if (task.state === 'COMPLETED') {
        output.out(`${paint(output, 'green', '✔')} ${type}: ${task.requeued} dead job(s) back to QUEUED, ${task.move?.moved ?? 0} message(s) moved${task.skipped ? `, ${task.skipped} skipped` : ''}${task.failures ? `, ${task.failures} left dead` : ''}`);
      } else if (task.state === 'FAILED') {
        output.err(`redrive failed: ${task.error ?? 'unknown reason'}`);
        process.exitCode = 1;
      }
    });

  dlq
    .command('redrive-status')
    .description("the latest redrive task of a type and its progress")
    .argument('<type>')
    .action(async (type: string, _options: unknown, command: Command) => {
      const { task } = await ctx.client(command).admin.redriveStatus(type as JobType);
      if (ctx.json(command)) return ctx.printJson({ type, task });
      output.out(task ? redriveLine(task) : `${type}: no redrive yet`);
      if (task?.error) output.err(task.error);
    });

  function redriveLine(task: RedriveTask): string {
    const move = task.move ? ` · moved ${task.move.moved}/${task.move.toMove}` : '';
    const left = task.failures ? ` · ${task.failures} failure(s)` : '';
    return `${task.state.padEnd(10)} ${progressBar(redrivePercent(task))}  requeued ${task.requeued}/${task.deadJobs}${task.skipped ? ` (${task.skipped} skipped)` : ''}${move}${left}`;
  }

  /** The webhooks DLQ: one message move, followed until it ends. */
  async function redriveWebhooks(options: { wait: boolean; interval: number }, command: Command): Promise<void> {
    const client = ctx.client(command);
    const started = await client.admin.redrive('webhooks');
    let task: MessageMoveTask | undefined = started.task;
    if (started.dlqMessages === 0) {
      if (ctx.json(command)) return ctx.printJson(started);
      return output.out('webhooks DLQ is empty: nothing to redrive');
    }
    while (options.wait && task?.status === 'RUNNING') {
      if (!ctx.json(command)) output.live(`moving ${task.moved}/${task.toMove}…`);
      await new Promise((resolve) => setTimeout(resolve, options.interval));
      task = (await client.admin.redriveStatus('webhooks')).task ?? undefined;
    }
    output.endLive();
    if (ctx.json(command)) return ctx.printJson({ ...started, task });
    output.out(`${paint(output, 'green', '✔')} webhooks: ${started.unlisted} webhook delivery(ies) to attempt again; moved ${task?.moved ?? 0}/${task?.toMove ?? started.dlqMessages} message(s) — ${task?.status ?? 'started'}`);
    if (task?.status === 'FAILED' || task?.status === 'CANCELLED') {
      output.err(`redrive ${task.status.toLowerCase()}${task.failureReason ? `: ${task.failureReason}` : ''}`);
      process.exitCode = 1;
    }
  }

  async function listWebhooks(options: { limit: number; cursor?: string }, command: Command): Promise<void> {
    const listing = await ctx.client(command).admin.deadLetters('webhooks', { limit: options.limit, ...(options.cursor !== undefined ? { cursor: options.cursor } : {}) });
    if (ctx.json(command)) return ctx.printJson(listing);
    output.out(`${paint(output, 'bold', 'webhooks DLQ')}: ${listing.dlq.visible} message(s), ${listing.deadLettered} delivery(ies) listed`);
    if (listing.unmatchedMessages > 0) output.out(paint(output, 'yellow', `  ${listing.unmatchedMessages} message(s) without a listed delivery: deliveries whose job record is gone or could not be updated`));
    if (!listing.deliveries.length) return;
    const rows = listing.deliveries.map((d) => {
      const last = d.webhook.recent[d.webhook.recent.length - 1];
      return [d.jobId, d.tenant, d.callbackUrl, last ? String(last.status ?? last.error ?? '') : '', String(d.webhook.attempts), last?.at ?? ''];
    });
    for (const line of table(output, ['JOB', 'TENANT', 'CALLBACK URL', 'LAST STATUS', 'ATTEMPTS', 'LAST TRY'], rows)) output.out(line);
    if (listing.cursor) output.out(paint(output, 'gray', `more: conveyor dlq list webhooks --cursor ${listing.cursor}`));
  }
}
