import type { SQSClient } from '@aws-sdk/client-sqs';
import type { JobDefinition } from '../shared/jobs/define.js';
import { isPrioritized, priorityConcurrency, priorityQueueName, queueKey, type Priority } from '../shared/jobs/priority.js';
import { ensureSourceQueue, type ProvisionedQueue } from './provision.js';

/** One queue of a job type and the size of the consumer pool that polls it. */
export interface Lane {
  /** Key of the queue's URL in CONVEYOR_QUEUE_URLS: the type, or `<type>:high` / `<type>:low`. */
  readonly key: string;
  readonly priority: Priority;
  readonly url: string;
  readonly arn: string;
  readonly maxConcurrency: number;
}

/**
 * The lanes of a job type: its one queue, or — for a prioritized type — its queue (normal) plus a
 * `-high` and a `-low` queue, all redriving to the type's DLQ, each with its share of the type's
 * concurrency (see shared/jobs/priority.ts for why).
 */
export async function ensureLanes(client: SQSClient, stage: string, definition: JobDefinition, main: ProvisionedQueue): Promise<Lane[]> {
  if (!isPrioritized(definition)) {
    return [{ key: definition.type, priority: 'normal', url: main.url, arn: main.arn, maxConcurrency: definition.settings.maxConcurrency }];
  }
  const concurrency = priorityConcurrency(definition);
  const lanes: Lane[] = [];
  for (const priority of ['high', 'normal', 'low'] as const) {
    const queue = priority === 'normal' ? main : await ensureSourceQueue(client, priorityQueueName(stage, definition.type, priority), definition, main.dlqArn);
    lanes.push({ key: queueKey(definition.type, priority), priority, url: queue.url, arn: queue.arn, maxConcurrency: concurrency[priority] });
  }
  return lanes;
}
