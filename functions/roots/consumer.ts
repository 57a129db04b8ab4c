import type { ConveyorConfig } from '../../shared/config/env.js';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { providerLimits, type ProviderLimit } from '../../shared/jobs/rate-limits.js';
import { createInvocations } from '../../shared/logging/invocation.js';
import { createLogger } from '../../shared/logging/logger.js';
import { noJobMetrics, type JobMetrics } from '../../shared/ports/job-metrics.js';
import type { Logger } from '../../shared/ports/logger.js';
import { unlimited, type RateLimiter } from '../../shared/ports/rate-limiter.js';
import type { AwsClients } from '../adapters/aws/clients.js';
import { DynamoSideEffectLedger } from '../adapters/aws/dynamo-side-effects.js';
import { EmfJobMetrics } from '../adapters/aws/emf-job-metrics.js';
import { currentTracer, enableTracing } from '../adapters/aws/tracing.js';
import type { CapabilityPorts, CorePorts, JobHandlerModule, PortsOf, UsesOf } from '../jobs/define-handler.js';
import { withProviderThrottle, type BatchHandler } from '../scheduling/provider-throttle.js';
import type { JobHandler } from '../worker/context.js';
import { JobWorker } from '../worker/job-worker.js';
import { createCoreClients, createFollowUpFlusher, createJobData, createJobQueue, createJobStore, type CoreClients } from '../wiring.js';
import { parentSender } from '../flows/send-parent.js';

/**
 * Composition root of the consumer functions and the local cloud's pollers. A consumer Lambda's
 * entry is generated per job type from the registry (infra/consumer-entry.ts) and calls
 * `startConsumer` with that type's handler module and the ports of its capabilities only: it then
 * bundles and builds only its own payload schema, handler and SDK clients.
 */

/** The ports every handler gets: the job store and the side-effect ledger on the job table, the limiter, the stage's extras. */
export function corePorts(
  config: ConveyorConfig,
  clients: Pick<CoreClients, 'dynamo'>,
  extras: { readonly limiter?: RateLimiter; readonly optional?: Partial<CapabilityPorts> } = {},
): CorePorts {
  return {
    store: createJobStore(config, clients),
    ledger: new DynamoSideEffectLedger({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    limiter: extras.limiter ?? unlimited,
    optional: extras.optional ?? {},
  };
}

export function buildJobWorker<TPayload>(
  definition: JobDefinition,
  handler: JobHandler<TPayload>,
  config: ConveyorConfig,
  clients: CoreClients & Partial<Pick<AwsClients, 's3'>> = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: `worker-${definition.type}` }),
): JobWorker<TPayload> {
  const store = createJobStore(config, clients);
  // Every consumer may get a payload stored apart and may produce a large result, whatever its type.
  const jobData = createJobData(config, clients, logger);
  const queue = createJobQueue(config, clients);
  return new JobWorker<TPayload>(definition, handler, {
    ...(jobData ? { jobData } : {}),
    store,
    // A child's consumer sends its flow's parent when the child was the last to end.
    followUps: createFollowUpFlusher(store, config, clients, logger, parentSender({ store, queue, logger })),
    queue,
    logger,
    tracer: currentTracer(),
    timeoutMarginMs: config.CONVEYOR_TIMEOUT_MARGIN_MS,
    metrics: createJobMetrics(config),
  });
}

/** Job outcome metrics: EMF lines on AWS (the stack sets CONVEYOR_METRICS=emf), nothing locally. */
export function createJobMetrics(config: ConveyorConfig): JobMetrics {
  return config.CONVEYOR_METRICS === 'emf' ? new EmfJobMetrics({ stage: config.CONVEYOR_STAGE }) : noJobMetrics;
}

/**
 * The consumer Lambda's handler for a job type: the worker, behind its provider's rate limit when
 * the type has one and the limiter is on. The limiter comes from the caller (roots/rate-limits.ts),
 * so that consumers without a provider limit never bundle the Upstash client.
 */
export function buildConsumerHandler<TPayload>(
  definition: JobDefinition,
  handler: JobHandler<TPayload>,
  config: ConveyorConfig,
  clients: CoreClients = createCoreClients(config),
  logger: Logger = createLogger(config, { fn: `worker-${definition.type}` }),
  options: { limiter: RateLimiter; providerLimit?: ProviderLimit },
): BatchHandler {
  const worker = buildJobWorker(definition, handler, config, clients, logger);
  const { limiter } = options;
  const limit = options.providerLimit ?? (providerLimits as Readonly<Record<string, ProviderLimit | undefined>>)[definition.type];
  const batchHandler = !limit || !limiter.enabled ? worker.handler : withProviderThrottle(worker.handler, { limiter, limit, queue: createJobQueue(config, clients), logger });
  // Each invocation in its log scope: Lambda request id and cold start on every line.
  return createInvocations(config).wrap(batchHandler);
}

/** Loads the shared rate limiter once per cold start (functions/roots/rate-limits.ts); only limited or model types pass one. */
export type LimiterLoader = (config: ConveyorConfig, logger: Logger) => Promise<RateLimiter>;

/** Builds ports from the consumer's shared clients (one DynamoDB and one SQS client per cold start). */
export type PortBuilder<T> = (clients: CoreClients, logger: Logger) => T | Promise<T>;

export interface ConsumerPorts<D extends JobDefinition> {
  /** The ports of the capabilities the type declares in `uses`, exactly. */
  readonly capabilities: PortBuilder<Omit<PortsOf<UsesOf<D>>, keyof CorePorts>>;
  /** Capabilities the stage adds beyond `uses` (AI analysis: the analysis type's model). */
  readonly optional?: PortBuilder<Partial<CapabilityPorts>>;
  /** Passed only for a type with a provider limit or a model, so no other consumer bundles Upstash. */
  readonly loadLimiter?: LimiterLoader;
}

/**
 * The handler of a consumer Lambda: the type's handler built from its ports, inside the worker,
 * behind its provider's rate limit when it has one, each invocation in its log scope. Called at module scope of the generated entry.
 */
export async function startConsumer<D extends JobDefinition>(module: JobHandlerModule<D>, config: ConveyorConfig, ports: ConsumerPorts<D>): Promise<BatchHandler> {
  // Tracing loads before the first SDK client is built, so every client (the capabilities' too) is captured.
  await enableTracing(config);
  const clients = createCoreClients(config);
  const logger = createLogger(config, { fn: `worker-${module.definition.type}` });
  const limiter = ports.loadLimiter ? await ports.loadLimiter(config, logger) : unlimited;
  const optional = ports.optional ? await ports.optional(clients, logger) : {};
  const capabilities = await ports.capabilities(clients, logger);
  const handler = module.create({ ...corePorts(config, clients, { limiter, optional }), ...capabilities } as PortsOf<UsesOf<D>>);
  return buildConsumerHandler(module.definition, handler, config, clients, logger, { limiter });
}
