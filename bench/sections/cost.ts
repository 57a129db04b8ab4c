import { startLocalCloud, type LocalCloud } from '../../local/cloud.js';
import { jobRegistry } from '../../shared/jobs/registry.js';
import { AwsMeter, TABLE_INDEXES, type IndexSpec } from '../cost/meter.js';
import { baselines, billedMs, costOf, type CostBreakdown } from '../cost/model.js';
import { BenchHttpClient, runPool } from '../lib/http.js';
import { analysisPayload, benchAnalysisHandler, EMAIL_PAYLOAD } from '../lib/workload.js';

export interface CostOptions {
  /** Jobs per burst scenario. */
  readonly jobs: number;
  /** Concurrent HTTP clients posting a burst. */
  readonly concurrency: number;
  readonly progressSpacingMs: number;
  /** Memory of the API function (not in the job registry; the CDK sets it). */
  readonly apiMemoryMb: number;
  readonly log: (line: string) => void;
}

export interface CostScenarioResult {
  readonly name: string;
  readonly note: string;
  readonly jobs: number;
  readonly finalStatuses: Readonly<Record<string, number>>;
  readonly cost: CostBreakdown;
}

export interface CostResult {
  readonly scenarios: readonly CostScenarioResult[];
  readonly baselines: ReturnType<typeof baselines>;
}

/**
 * Index layouts priced alongside the deployed one (TABLE_INDEXES: two sparse indexes no fast job enters): what a per-tenant
 * listing index like the earlier `byTenant` (partition = tenant, sort = job, every attribute
 * projected) would add to the same writes, and the same keys-only.
 */
export const WHAT_IF_LAYOUTS: Readonly<Record<string, readonly IndexSpec[]>> = {
  'a tenant index (ALL)': [...TABLE_INDEXES, { partitionKey: 'tenant', sortKey: 'sk', projection: 'ALL' }],
  'a tenant index (KEYS_ONLY)': [...TABLE_INDEXES, { partitionKey: 'tenant', sortKey: 'sk', projection: 'KEYS_ONLY' }],
};

interface Scenario {
  readonly name: string;
  readonly type: 'analysis' | 'email';
  readonly note: string;
  readonly jobs: number;
  readonly oneAtATime?: boolean;
  /** Jobs per `POST /v1/jobs:batch` (the API sends them 10 per SendMessageBatch); absent: one POST /v1/jobs per job. */
  readonly batchOf?: number;
  /** Jobs run one at a time (one batch at a time when batched) to time uncontended invocations. */
  readonly timingJobs: number;
  readonly body: (index: number) => unknown;
}

/**
 * Cost per million jobs, from what jobs actually do: each scenario's jobs go through the local
 * cloud over HTTP, every AWS request of the API, the event source mapping and the consumer is
 * counted on the real SDK clients, every Lambda invocation is timed, and the totals are priced.
 */
export async function measureCost(options: CostOptions): Promise<CostResult> {
  const meter = new AwsMeter({ whatIf: WHAT_IF_LAYOUTS });
  const durations = new Map<string, number[]>();
  const cloud = await startLocalCloud({
    logLevel: 'error',
    handlers: { analysis: benchAnalysisHandler({ progressSpacingMs: options.progressSpacingMs }) },
    observe: {
      clients: (clients) => {
        meter.attach(clients.dynamo, 'dynamodb');
        meter.attach(clients.sqs, 'sqs');
      },
      invocation: (fn, ms) => {
        const list = durations.get(fn) ?? [];
        list.push(ms);
        durations.set(fn, list);
      },
    },
  });
  const client = new BenchHttpClient(cloud.apiUrl, cloud.apiKey, options.concurrency);
  try {
    // Warm up: the API key lookup is cached in a warm Lambda; a cold one is not what a job costs.
    await runScenario(cloud, client, { name: 'warm-up', type: 'analysis', note: '', jobs: 5, timingJobs: 0, body: (i) => ({ type: 'analysis', payload: analysisPayload(`fast-warm-${i}`) }) }, options.concurrency);
    const scenarios: Scenario[] = [
      { name: 'Fast analysis job', type: 'analysis', jobs: options.jobs, timingJobs: 10, note: `burst of ${options.jobs} over ${options.concurrency} connections`, body: (i) => ({ type: 'analysis', payload: analysisPayload(`fast-${i}`) }) },
      { name: 'Fast analysis job, one at a time', type: 'analysis', jobs: Math.min(20, options.jobs), timingJobs: 0, oneAtATime: true, note: 'each job enqueued after the previous one finished (no batching)', body: (i) => ({ type: 'analysis', payload: analysisPayload(`fast-single-${i}`) }) },
      { name: 'Job with 5 progress updates', type: 'analysis', jobs: Math.min(50, options.jobs), timingJobs: 2, note: `progress every ${options.progressSpacingMs} ms, then the analysis`, body: (i) => ({ type: 'analysis', payload: analysisPayload(`progress-${i}`) }) },
      {
        name: 'Fast analysis job, enqueued 100 per batch',
        type: 'analysis',
        jobs: options.jobs,
        batchOf: 100,
        timingJobs: 200,
        note: `${options.jobs} jobs in POST /v1/jobs:batch requests of 100 over ${options.concurrency} connections`,
        body: (i) => ({ type: 'analysis', payload: analysisPayload(`batch-${i}`) }),
      },
      { name: 'Email job', type: 'email', jobs: Math.min(100, options.jobs), timingJobs: 10, note: 'welcome template, one recipient', body: () => ({ type: 'email', payload: EMAIL_PAYLOAD }) },
      { name: 'Failed, then retried job', type: 'analysis', jobs: Math.min(100, options.jobs), timingJobs: 5, note: 'retryable error on attempt 1, success on attempt 2', body: (i) => ({ type: 'analysis', payload: analysisPayload(`retry-${i}`) }) },
    ];
    const results: CostScenarioResult[] = [];
    for (const scenario of scenarios) {
      meter.reset();
      durations.clear();
      options.log(`cost: ${scenario.name} (${scenario.jobs} jobs)…`);
      const { jobIds, httpRequests } = await runScenario(cloud, client, scenario, options.concurrency);
      const operations = meter.snapshot();
      const apiName = 'conveyor-local-api';
      const workerName = `conveyor-local-${scenario.type}-worker`;
      const counted = { api: durations.get(apiName)?.length ?? 0, worker: durations.get(workerName)?.length ?? 0 };
      // Lambda gives every invocation its own sandbox; here the burst's invocations share one
      // process and wait on each other. So durations come from uncontended invocations (jobs run one
      // at a time), multiplied by the invocations the burst made.
      if (scenario.timingJobs > 0) {
        durations.clear();
        await runScenario(cloud, client, { ...scenario, name: `${scenario.name} (timing)`, jobs: scenario.timingJobs, oneAtATime: true }, 1);
      }
      const usage = {
        jobs: jobIds.length,
        httpApiRequests: httpRequests,
        api: functionUsage(counted.api, durations.get(apiName) ?? [], options.apiMemoryMb),
        worker: functionUsage(counted.worker, durations.get(workerName) ?? [], jobRegistry[scenario.type].settings.memoryMb),
        operations,
      };
      const finalStatuses = await statusesOf(client, jobIds);
      const note = scenario.type === 'email' ? await emailNote(client, jobIds[0], scenario.note) : scenario.note;
      results.push({ name: scenario.name, note, jobs: jobIds.length, finalStatuses, cost: costOf(usage) });
    }
    return { scenarios: results, baselines: baselines() };
  } finally {
    client.close();
    await cloud.stop();
  }
}

/** API Gateway HTTP APIs bill one request per 512 KB of payload (https://aws.amazon.com/api-gateway/pricing/). */
const HTTP_API_METERED_BYTES = 512 * 1024;

async function runScenario(cloud: LocalCloud, client: BenchHttpClient, scenario: Scenario, concurrency: number): Promise<{ jobIds: string[]; httpRequests: number }> {
  const mapping = cloud.mappings[scenario.type];
  const doneBefore = mapping.stats.deleted;
  const jobIds: string[] = [];
  let httpRequests = 0;
  const perPost = scenario.batchOf ?? 1;
  const posts = Math.ceil(scenario.jobs / perPost);
  const post = async (index: number) => {
    if (scenario.batchOf === undefined) {
      const response = await client.post('/v1/jobs', scenario.body(index));
      httpRequests++;
      if (response.status !== 202) throw new Error(`${scenario.name}: POST answered ${response.status} ${JSON.stringify(response.body)}`);
      jobIds.push(String(response.body.jobId));
      return;
    }
    const first = index * perPost;
    const body = { jobs: Array.from({ length: Math.min(perPost, scenario.jobs - first) }, (_, k) => scenario.body(first + k)) };
    const response = await client.post('/v1/jobs:batch', body);
    // The HTTP API meters a request per started 512 KB of payload.
    httpRequests += Math.ceil(Buffer.byteLength(JSON.stringify(body)) / HTTP_API_METERED_BYTES);
    if (response.status !== 202) throw new Error(`${scenario.name}: POST /v1/jobs:batch answered ${response.status} ${JSON.stringify(response.body).slice(0, 500)}`);
    for (const result of response.body.results as { jobId: string }[]) jobIds.push(result.jobId);
  };
  if (scenario.oneAtATime) {
    for (let i = 0; i < posts; i++) {
      await post(i);
      const done = Math.min((i + 1) * perPost, scenario.jobs);
      await until(() => mapping.stats.deleted >= doneBefore + done, `${scenario.name}: job ${done}`);
    }
  } else {
    await runPool(posts, concurrency, post);
  }
  // A finished job's message is deleted (acknowledged): wait for all of them, with no GET polling to bill.
  await until(() => mapping.stats.deleted >= doneBefore + scenario.jobs, scenario.name);
  return { jobIds, httpRequests };
}

/** Invocations as counted; billed time = that count × the mean billed duration of the timed invocations. */
function functionUsage(invocations: number, timedMs: readonly number[], memoryMb: number) {
  const meanBilled = timedMs.length ? timedMs.reduce((sum, ms) => sum + billedMs(ms), 0) / timedMs.length : 0;
  return { memoryMb, invocations, billedMs: invocations * meanBilled };
}

async function statusesOf(client: BenchHttpClient, jobIds: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  await runPool(jobIds.length, 8, async (i) => {
    const { body } = await client.get(`/v1/jobs/${jobIds[i]}`);
    const status = String(body.status);
    counts[status] = (counts[status] ?? 0) + 1;
  });
  return counts;
}

async function emailNote(client: BenchHttpClient, jobId: string | undefined, note: string): Promise<string> {
  if (!jobId) return note;
  const { body } = await client.get(`/v1/jobs/${jobId}`);
  const error = body.error as { code?: string } | undefined;
  return error?.code === 'NOT_IMPLEMENTED' ? `${note}; the email handler is NOT_IMPLEMENTED on main: this prices its eager claim + FAILED, no SES call` : note;
}

async function until(condition: () => boolean, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
