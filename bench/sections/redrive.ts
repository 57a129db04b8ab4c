import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import type { JobHandler } from '../../functions/worker/context.js';
import { startLocalCloud } from '../../local/cloud.js';
import { seedDeadJobs } from '../../local/seed-dead-jobs.js';
import type { PayloadOf } from '../../shared/jobs/registry.js';
import { fixed, table } from '../lib/table.js';
import { analysisPayload } from '../lib/workload.js';

export interface RedriveOptions {
  readonly jobs: number;
  /** The redrive consumer dies once, before putting back this job (by order reached); with short runs and redelivery. */
  readonly crashAt?: number;
  readonly dataDir?: string;
  readonly log: (line: string) => void;
  /** Bound on the whole run. */
  readonly timeoutMs: number;
}

export interface RedriveResult {
  readonly jobs: number;
  readonly crashes: number;
  readonly seedSeconds: number;
  /** POST → the task recorded (the API's answer). */
  readonly acceptMs: number;
  /** POST → every record put back (the task MOVING). */
  readonly requeueSeconds: number;
  /** POST → the task COMPLETED (the move finished). */
  readonly completeSeconds: number;
  /** POST → every redriven job SUCCEEDED. */
  readonly allSucceededSeconds: number;
  readonly task: Record<string, unknown>;
  /** Progress as `GET /v1/queues/analysis/redrive` showed it, about every second. */
  readonly progress: readonly { readonly atSeconds: number; readonly state: string; readonly requeued: number; readonly moved: number }[];
  /** Jobs whose handler ran other than exactly once (must be 0). */
  readonly ranOtherThanOnce: number;
}

/**
 * N dead analysis jobs (seeded as the worker's DEAD write leaves them: record listed, message in the
 * DLQ), one redrive request, followed to the end through the API as an operator would, then every
 * job's run counted. In-process local cloud, memory storage unless `dataDir`.
 */
export async function measureRedrive(options: RedriveOptions): Promise<RedriveResult> {
  const runs = new Map<string, number>();
  const counting: JobHandler<PayloadOf<'analysis'>> = async (payload, context) => {
    runs.set(context.jobId, (runs.get(context.jobId) ?? 0) + 1);
    return analysisHandler(payload, context);
  };
  let reached = 0;
  let crashes = 0;
  const crash = options.crashAt;
  const cloud = await startLocalCloud({
    pollWaitSeconds: 1,
    dashboard: false,
    handlers: { analysis: counting },
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    ...(crash !== undefined
      ? {
          // Short runs so that the nudge of the run that died comes back in seconds, not minutes.
          redrive: { timeoutSeconds: 10, visibilityTimeoutSeconds: 12, settings: { leaseMs: 11_000, stallMs: 40_000, reserveMs: 2_000, moveCheckSeconds: 1 } },
          faults: { redriveDies: () => ++reached === crash && ++crashes === 1 },
        }
      : {}),
  });
  const deadline = Date.now() + options.timeoutMs;
  const call = async (method: string, path: string) => {
    const response = await fetch(`${cloud.apiUrl}${path}`, { method, headers: { authorization: `Bearer ${cloud.apiKey}` } });
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any -- the API's JSON, read field by field
  };
  const until = async (what: string, probe: () => Promise<boolean>, everyMs = 250) => {
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`redrive bench: ${what} not reached within ${options.timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  };
  try {
    options.log(`redrive: seeding ${options.jobs} dead jobs…`);
    const seedStarted = performance.now();
    const seeded = await seedDeadJobs(cloud, { type: 'analysis', count: options.jobs, payload: (i) => analysisPayload(`redrive-${i}`) });
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    await until('the seeded messages in the DLQ', async () => (await call('GET', '/v1/queues/analysis/dlq?limit=1')).body.dlq.visible === options.jobs);

    const started = performance.now();
    const accepted = await call('POST', '/v1/queues/analysis/redrive');
    const acceptMs = performance.now() - started;
    if (accepted.status !== 202) throw new Error(`redrive bench: POST answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
    const progress: { atSeconds: number; state: string; requeued: number; moved: number }[] = [];
    let requeueSeconds = 0;
    let task: Record<string, any> = accepted.body.task; // eslint-disable-line @typescript-eslint/no-explicit-any -- as above
    let lastLog = 0;
    await until('the task finished', async () => {
      task = (await call('GET', '/v1/queues/analysis/redrive')).body.task;
      const atSeconds = (performance.now() - started) / 1000;
      const seen = { atSeconds: +atSeconds.toFixed(1), state: String(task.state), requeued: Number(task.requeued), moved: Number(task.move?.moved ?? 0) };
      if (!progress.length || atSeconds - progress[progress.length - 1]!.atSeconds >= 1) progress.push(seen);
      if (!requeueSeconds && task.state !== 'REQUEUEING') requeueSeconds = atSeconds;
      if (atSeconds - lastLog >= 5) {
        lastLog = atSeconds;
        options.log(`redrive: ${seen.state} requeued ${seen.requeued}/${options.jobs}, moved ${seen.moved}`);
      }
      return task.state === 'COMPLETED' || task.state === 'FAILED';
    });
    const completeSeconds = (performance.now() - started) / 1000;
    if (task.state !== 'COMPLETED') throw new Error(`redrive bench: the task ended ${String(task.state)}: ${String(task.error)}`);
    await until('every job ran', async () => runs.size >= options.jobs, 500);
    const allSucceededSeconds = (performance.now() - started) / 1000;
    const ranOtherThanOnce = seeded.filter((job) => runs.get(job.jobId) !== 1).length;
    return { jobs: options.jobs, crashes, seedSeconds, acceptMs, requeueSeconds, completeSeconds, allSucceededSeconds, task, progress, ranOtherThanOnce };
  } finally {
    await cloud.stop();
  }
}

export function renderRedrive(r: RedriveResult): string {
  const rows = [
    ['Dead jobs seeded (record DEAD and listed, message in the DLQ)', `${r.jobs} in ${fixed(r.seedSeconds, 1)} s`],
    ['POST /v1/queues/analysis/redrive answered (202, task recorded)', `${fixed(r.acceptMs, 0)} ms`],
    ['Every record put back (task MOVING)', `${fixed(r.requeueSeconds, 1)} s (${fixed(r.jobs / Math.max(r.requeueSeconds, 0.001), 0)} records/s)`],
    ['Task COMPLETED (messages moved)', `${fixed(r.completeSeconds, 1)} s`],
    ['Every redriven job run', `${fixed(r.allSucceededSeconds, 1)} s`],
    ['Task at the end', `requeued ${String(r.task.requeued)}, skipped ${String(r.task.skipped)}, failures ${String(r.task.failures)}, pages ${String(r.task.pages)}, moved ${String((r.task.move as { moved?: number } | undefined)?.moved)}`],
    ['Consumer crashes injected (resumed)', String(r.crashes)],
    ['Jobs run other than exactly once', String(r.ranOtherThanOnce)],
  ];
  const samples = r.progress.filter((_, i) => i % Math.max(1, Math.ceil(r.progress.length / 8)) === 0).map((p) => `${p.atSeconds}s ${p.state} ${p.requeued}/${r.jobs} moved ${p.moved}`).join(' · ');
  return [`### 7. Redrive of ${r.jobs} dead jobs (a tracked task)`, table(['Measure', 'Value'], rows), `Progress as GET showed it: ${samples}`].join('\n\n');
}
