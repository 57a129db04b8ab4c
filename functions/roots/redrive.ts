import type { ConveyorConfig } from '../../shared/config/env.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { Logger } from '../../shared/ports/logger.js';
import { SqsQueueAdmin } from '../adapters/aws/sqs-queue-admin.js';
import { DeadJobSource } from '../redrive/dead-job-source.js';
import { redriveConsumer } from '../redrive/redrive-consumer.js';
import { createRedrives } from '../redrive/wiring.js';
import { RedriveRunner, type RedriveSettings, type RedriveSource } from '../redrive/redrive-runner.js';
import type { BatchResponse, InvocationContext, SqsEventLike } from '../worker/context.js';
import { createCoreClients, createDeadLetterIndex, createFollowUpFlusher, createJobStore, type CoreClients } from '../wiring.js';

export interface RedriveConsumerOptions {
  readonly now?: () => Date;
  readonly settings?: Partial<RedriveSettings>;
  /** Wraps each queue's source (the local cloud's fault injection). */
  readonly wrapSource?: (source: RedriveSource) => RedriveSource;
}

/**
 * Composition root of the redrive consumer (functions/entry/redrive.ts) and of the local cloud's. It
 * reads and writes job records and the task, flushes a dead job's owed webhook, sends the task's next
 * nudge, and starts and follows the DLQ → queue message moves.
 */
export function buildRedriveConsumer(
  config: ConveyorConfig,
  clients: CoreClients = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: 'redrive' }),
  options: RedriveConsumerOptions = {},
): { runner: RedriveRunner; handler: (event: SqsEventLike, context: InvocationContext) => Promise<BatchResponse> } {
  const store = createJobStore(config, clients);
  const deadLetters = createDeadLetterIndex(config, clients);
  const followUps = createFollowUpFlusher(store, config, clients, logger);
  const { tasks, nudges } = createRedrives(config, clients);
  const sources = new Map<string, RedriveSource>();
  const source = (queue: string): RedriveSource | undefined => {
    if (config.CONVEYOR_QUEUE_URLS[queue] === undefined) return undefined;
    let found = sources.get(queue);
    if (!found) {
      const own = new DeadJobSource({ type: queue, store, deadLetters, followUps, logger, ...(options.now ? { now: options.now } : {}) });
      found = options.wrapSource ? options.wrapSource(own) : own;
      sources.set(queue, found);
    }
    return found;
  };
  const runner = new RedriveRunner({
    tasks,
    nudges,
    queues: new SqsQueueAdmin({ client: clients.sqs, queueUrls: config.CONVEYOR_QUEUE_URLS }),
    source,
    logger,
    ...(options.now ? { now: options.now } : {}),
    ...(options.settings ? { settings: options.settings } : {}),
  });
  return { runner, handler: redriveConsumer(runner, nudges, logger) };
}
