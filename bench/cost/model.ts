import { PRICES } from './prices.js';
import type { OperationTotals } from './meter.js';

/** What a scenario used, as measured: requests counted on the SDK clients, invocations timed. */
export interface ScenarioUsage {
  readonly jobs: number;
  readonly httpApiRequests: number;
  readonly api: FunctionUsage;
  readonly worker: FunctionUsage;
  readonly operations: readonly OperationTotals[];
}

export interface FunctionUsage {
  readonly memoryMb: number;
  readonly invocations: number;
  /** Sum over invocations of the duration rounded up to the next millisecond (Lambda's billing unit). */
  readonly billedMs: number;
}

export interface CostLine {
  readonly part: string;
  /** Billed units per job (requests, GB-seconds, request units). */
  readonly perJob: number;
  readonly unit: string;
  readonly usdPerMillionJobs: number;
}

export interface CostBreakdown {
  readonly lines: readonly CostLine[];
  readonly totalUsdPerMillionJobs: number;
  /** The same total under other index layouts (what-if), by label. */
  readonly totalIf: Readonly<Record<string, number>>;
}

/** Billed milliseconds of one invocation: Lambda rounds each duration up to 1 ms. */
export function billedMs(durationMs: number): number {
  return Math.max(1, Math.ceil(durationMs));
}

/** Turns measured usage into dollars per million jobs, one line per billed part. */
export function costOf(usage: ScenarioUsage): CostBreakdown {
  const perJob = (n: number) => n / usage.jobs;
  const lines: CostLine[] = [];
  const add = (part: string, units: number, unit: string, usdPerUnit: number) => {
    if (units === 0) return;
    lines.push({ part, perJob: perJob(units), unit, usdPerMillionJobs: perJob(units) * usdPerUnit * 1e6 });
  };

  add('API Gateway HTTP API', usage.httpApiRequests, 'requests', PRICES.httpApiRequest.usd);
  add('API Lambda requests', usage.api.invocations, 'invocations', PRICES.lambdaRequest.usd);
  add(`API Lambda duration (${usage.api.memoryMb} MB)`, gbSeconds(usage.api), 'GB-s', PRICES.lambdaArmGbSecond.usd);
  for (const op of usage.operations.filter((o) => o.service === 'sqs')) {
    const detail = op.operation === 'ReceiveMessage' && op.calls > 0 ? ` (${(op.messages / op.calls).toFixed(1)} msgs/receive)` : '';
    add(`SQS ${op.operation}${detail}`, op.billedRequests, 'requests', PRICES.sqsRequest.usd);
  }
  add('Consumer Lambda requests', usage.worker.invocations, 'invocations', PRICES.lambdaRequest.usd);
  add(`Consumer Lambda duration (${usage.worker.memoryMb} MB)`, gbSeconds(usage.worker), 'GB-s', PRICES.lambdaArmGbSecond.usd);
  for (const op of usage.operations.filter((o) => o.service === 'dynamodb')) {
    const size = op.maxItemBytes ? `, item ≤ ${op.maxItemBytes} B` : '';
    add(`DynamoDB ${op.operation} writes${size}`, op.writeUnits, 'WRU', PRICES.dynamoWriteUnit.usd);
    add(`DynamoDB ${op.operation} index writes`, op.indexWriteUnits, 'WRU', PRICES.dynamoWriteUnit.usd);
    add(`DynamoDB ${op.operation} reads`, op.readUnits, 'RRU', PRICES.dynamoReadUnit.usd);
  }
  const total = lines.reduce((sum, line) => sum + line.usdPerMillionJobs, 0);
  const dynamo = usage.operations.filter((o) => o.service === 'dynamodb');
  const indexUsd = (units: number) => perJob(units) * PRICES.dynamoWriteUnit.usd * 1e6;
  const actualIndex = indexUsd(dynamo.reduce((sum, o) => sum + o.indexWriteUnits, 0));
  const labels = new Set(dynamo.flatMap((o) => Object.keys(o.indexWriteUnitsIf)));
  const totalIf = Object.fromEntries([...labels].map((label) => [label, total - actualIndex + indexUsd(dynamo.reduce((sum, o) => sum + (o.indexWriteUnitsIf[label] ?? 0), 0))]));
  return { lines, totalUsdPerMillionJobs: total, totalIf };
}

function gbSeconds(fn: FunctionUsage): number {
  return (fn.memoryMb / 1024) * (fn.billedMs / 1000);
}

/**
 * The comparison designs of issue 8, priced from the same table: one Lambda invocation per
 * request and per job (no batching), four 1 KB writes per job (QUEUED, RUNNING, one progress,
 * SUCCEEDED), one SQS send, and no Lambda duration (they would cost more, not less).
 */
export function baselines(): readonly { name: string; usdPerMillionJobs: number; note: string }[] {
  const naive = (apiRequestUsd: number) => (apiRequestUsd + 2 * PRICES.lambdaRequest.usd + PRICES.sqsRequest.usd + 4 * PRICES.dynamoWriteUnit.usd) * 1e6;
  return [
    { name: 'Naive design behind a REST API', usdPerMillionJobs: naive(PRICES.restApiRequest.usd), note: 'REST API + 2 Lambda requests + SQS send + 4 writes' },
    { name: 'Naive design behind an HTTP API', usdPerMillionJobs: naive(PRICES.httpApiRequest.usd), note: 'HTTP API + 2 Lambda requests + SQS send + 4 writes' },
    { name: 'QStash deliveries alone', usdPerMillionJobs: PRICES.qstashMessage.usd * 1e6, note: '$1 per 100k messages' },
  ];
}
