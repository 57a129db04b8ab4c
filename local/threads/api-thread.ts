/**
 * The local API Gateway and the API function in their own thread: see thread.ts. Built as the
 * Lambda entry builds it — config parsed from the environment it is given, its own SDK clients —
 * with the local scheduler (which holds jobs due beyond SQS's 15-minute delay) reached through the
 * starting thread, where it lives.
 */
import { parseConfig } from '../../shared/config/env.js';
import { DependencyUnavailableError } from '../../shared/domain/errors.js';
import { createLogger } from '../../shared/logging/logger.js';
import type { ReleaseScheduler } from '../../shared/ports/release-scheduler.js';
import { httpApiHandler } from '../../functions/adapters/aws/http-api-event.js';
import { enableTracing } from '../../functions/adapters/aws/tracing.js';
import { buildApiApp } from '../../functions/roots/api.js';
import { createRateLimiter } from '../../functions/roots/rate-limits.js';
import { createBlobClients } from '../../functions/wiring.js';
import { serveHttpApi } from '../api-gateway.js';
import { dashboardRoutes, type DashboardOptions } from '../dashboard/serve.js';
import { serveThread, type ThreadContext } from './serve-thread.js';

export interface ApiThreadData {
  /** The API function's environment (parsed here, as the Lambda entry parses process.env). */
  readonly env: Readonly<Record<string, string>>;
  /** Hand log lines to the starting thread (it was given a writer) instead of writing them to stdout. */
  readonly forwardLogs: boolean;
  readonly port?: number;
  readonly functionName: string;
  readonly dashboard?: DashboardOptions;
}

/** The scheduler's one method, carried out by the starting thread's LocalScheduler. */
class ThreadReleaseScheduler implements ReleaseScheduler {
  readonly #context: ThreadContext<ApiThreadData>;

  constructor(context: ThreadContext<ApiThreadData>) {
    this.#context = context;
  }

  async scheduleRelease(jobId: string, runAt: Date): Promise<void> {
    try {
      await this.#context.call('scheduleRelease', [jobId, runAt]);
    } catch (error) {
      throw new DependencyUnavailableError('scheduler', `the local scheduler refused the release — ${(error as Error).message}`, { cause: error });
    }
  }
}

await serveThread<ApiThreadData, { url: string }>(async (context) => {
  const { data } = context;
  const config = parseConfig(data.env);
  // As the Lambda entry: tracing before any client is built, the logger from the config (LOG_LEVEL…).
  await enableTracing(config);
  const clients = createBlobClients(config);
  const logger = createLogger(config, { fn: 'api' }, data.forwardLogs ? { write: (line: string) => context.log(line) } : {});
  const app = buildApiApp(config, clients, logger, { scheduler: new ThreadReleaseScheduler(context), limiter: createRateLimiter(config) });
  const api = await serveHttpApi(httpApiHandler(app.fetch), {
    functionName: data.functionName,
    ...(data.port !== undefined ? { port: data.port } : {}),
    ...(data.dashboard ? { localRoutes: dashboardRoutes(data.dashboard) } : {}),
  });
  return {
    ready: { url: api.url },
    close: async () => {
      await api.close();
      clients.dynamo.destroy();
      clients.sqs.destroy();
      clients.s3.destroy();
    },
  };
});
