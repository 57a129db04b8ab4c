import type { JobDefinition } from './define.js';
import { resourceNames } from './derived.js';

/**
 * Priorities (`low | normal | high`). A job type opts in with `priorities: true` in its settings; its
 * jobs then take a top-level `priority` enqueue option (the `analysis` type also reads its payload's
 * own `priority`, which the seed analyze API sends). Design: one SQS queue per priority level, each
 * with its own consumer pool (an event source with its own `maxConcurrency` on AWS, a poller pool
 * locally), sharing the type's DLQ. A flood of low jobs fills only the low pool; a high job arriving
 * behind it is received by the idle high pool and starts at once. SQS has no priority within a
 * queue and Lambda cannot poll "the high queue first", so partitioned concurrency is the lever AWS
 * gives; the local cloud does the same, so tests see AWS's behaviour. The price: a priority's pool
 * stays its size even when the other queues are empty (low jobs alone use only the low share).
 */
export const PRIORITIES = ['high', 'normal', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Share of the type's maxConcurrency each priority's pool gets; each pool at least AWS's floor of 2. */
const CONCURRENCY_SHARE: Readonly<Record<Priority, number>> = { high: 0.4, normal: 0.4, low: 0.2 };
const MIN_EVENT_SOURCE_CONCURRENCY = 2;

/** True when the type declares `priorities: true`, so its jobs are routed by priority. */
export function isPrioritized(definition: JobDefinition): boolean {
  return definition.settings.priorities;
}

/** The priority a payload names in its own `priority` field; anything but `high` / `low` is `normal`. */
export function priorityOf(payload: unknown): Priority {
  const value = typeof payload === 'object' && payload !== null ? (payload as { priority?: unknown }).priority : undefined;
  return value === 'high' || value === 'low' ? value : 'normal';
}

/**
 * The priority of a new job: the `priority` option, else the payload's own `priority` field (the
 * analyze API sends it there), else normal. The enqueue schema refuses the two when they disagree.
 */
export function requestedPriority(request: { readonly priority?: Priority | undefined; readonly payload: unknown }): Priority {
  return request.priority ?? priorityOf(request.payload);
}

/** What the record stores: nothing for normal (the default costs no bytes), else the priority. */
export function storedPriority(priority: Priority): { priority?: 'high' | 'low' } {
  return priority === 'normal' ? {} : { priority };
}

/** The key of a priority queue's URL in CONVEYOR_QUEUE_URLS: the type itself for normal. */
export function queueKey(type: string, priority: Priority): string {
  return priority === 'normal' ? type : `${type}:${priority}`;
}

/** `conveyor-<stage>-<type>` for normal, `conveyor-<stage>-<type>-high` / `-low` for the others. */
export function priorityQueueName(stage: string, type: string, priority: Priority): string {
  const { queue } = resourceNames(stage, type);
  return priority === 'normal' ? queue : `${queue}-${priority}`;
}

/** maxConcurrency of each priority's event source, from the type's own maxConcurrency. */
export function priorityConcurrency(definition: JobDefinition): Record<Priority, number> {
  const total = definition.settings.maxConcurrency;
  const share = (p: Priority) => Math.max(MIN_EVENT_SOURCE_CONCURRENCY, Math.round(total * CONCURRENCY_SHARE[p]));
  return { high: share('high'), normal: share('normal'), low: share('low') };
}
