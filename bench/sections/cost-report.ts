import { PRICES, PRICES_AS_OF, REGION } from '../cost/prices.js';
import { fixed, ratio, table, usd, verdict } from '../lib/table.js';
import type { CostResult } from './cost.js';

export const FAST_JOB_TARGET_USD = 3.0;

/** Section 1 as Markdown: a summary with ratios, then each scenario part by part. */
export function renderCost(result: CostResult): string {
  const [rest, http, qstash] = result.baselines;
  const summary = table(
    ['Scenario', '$ / M jobs', 'vs target $3.00', 'vs naive HTTP API', 'vs naive REST API', 'vs QStash', ...whatIfLabels(result).map((label) => `if ${label}`)],
    result.scenarios.map((s) => [
      s.name,
      usd(s.cost.totalUsdPerMillionJobs),
      targetCell(s.name, s.cost.totalUsdPerMillionJobs),
      ratio(s.cost.totalUsdPerMillionJobs, http?.usdPerMillionJobs ?? 0),
      ratio(s.cost.totalUsdPerMillionJobs, rest?.usdPerMillionJobs ?? 0),
      ratio(s.cost.totalUsdPerMillionJobs, qstash?.usdPerMillionJobs ?? 0),
      ...whatIfLabels(result).map((label) => usd(s.cost.totalIf[label] ?? Number.NaN)),
    ]),
  );
  const baselineTable = table(['Comparison (list prices)', '$ / M jobs', 'what it counts'], result.baselines.map((b) => [b.name, usd(b.usdPerMillionJobs), b.note]));
  const parts = result.scenarios.map((s) => {
    const rows = s.cost.lines.map((line) => [line.part, fixed(line.perJob, 4), line.unit, usd(line.usdPerMillionJobs), `${fixed((100 * line.usdPerMillionJobs) / s.cost.totalUsdPerMillionJobs, 0)}%`]);
    rows.push(['Total', '', '', usd(s.cost.totalUsdPerMillionJobs), '100%']);
    const statuses = Object.entries(s.finalStatuses).map(([status, n]) => `${n} ${status}`).join(', ');
    return `**${s.name}** — ${s.jobs} jobs (${statuses}); ${s.note}\n\n${table(['Part', 'per job', 'unit', '$ / M jobs', 'share'], rows)}`;
  });
  const priceRows = Object.entries(PRICES).map(([name, price]) => [name, `$${(price.usd * 1e6).toFixed(4)}`, price.unit, price.source]);
  return [
    `### 1. Cost per million jobs (${REGION}, list prices as of ${PRICES_AS_OF})`,
    summary,
    baselineTable,
    ...parts,
    'Requests are counted on the real SDK clients (API, event source mapping, consumer); DynamoDB units from item sizes (1 KB per write unit, 4 KB per read unit, the larger of the old and new item), index writes from the index projection (the table\'s two sparse indexes, which only DEAD jobs and jobs owing a webhook or a release enter; the \'if a tenant index\' columns price a per-tenant one on the same writes); SQS per 64 KB chunk. Lambda invocations are counted in the burst; their GB-seconds are that count × the mean billed duration of uncontended invocations (jobs run one at a time), at the registry\'s memoryMb (consumers) and the API memory given. Not included: CloudWatch Logs ingestion, idle long polls of the event source (a fixed cost per queue, not per job), data transfer, Upstash commands when rate limits are on.',
    table(['Price', '$ per million units', 'unit', 'source'], priceRows),
  ].join('\n\n');
}

/**
 * The target is for a fast job enqueued by its own POST /v1/jobs; a batched enqueue is shown beside
 * it for comparison, never as meeting it.
 */
function targetCell(name: string, usdPerMillion: number): string {
  if (!name.startsWith('Fast analysis job')) return '—';
  if (name.includes('per batch')) return `${ratio(usdPerMillion, FAST_JOB_TARGET_USD)} (batched: not the target's shape)`;
  return `${ratio(usdPerMillion, FAST_JOB_TARGET_USD)} ${verdict(usdPerMillion <= FAST_JOB_TARGET_USD)}`;
}

function whatIfLabels(result: CostResult): string[] {
  return [...new Set(result.scenarios.flatMap((s) => Object.keys(s.cost.totalIf)))].map((label) => label);
}
