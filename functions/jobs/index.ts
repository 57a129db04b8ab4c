import type { JobRegistry, JobType, PayloadOf } from '../../shared/jobs/registry.js';
import type { JobHandler } from '../worker/context.js';
import type { CapabilityPorts, CorePorts, JobHandlerModule, ResultOfModule } from './define-handler.js';
import ai from './ai/handler.js';
import analysis from './analysis/handler.js';
import email from './email/handler.js';
import notification from './notification/handler.js';
import pdf from './pdf/handler.js';

/**
 * The handler map: one handler module per registered job type, each `./<type>/handler.js` (the
 * consumer Lambda of a type bundles that file alone, see infra/consumer-entry.ts). Exhaustive: a
 * type in the registry with no handler here does not compile. `npm run new-job` adds both entries.
 */
export const jobHandlers = {
  analysis,
  email,
  pdf,
  notification,
  ai,
} as const satisfies { readonly [K in JobType]: JobHandlerModule<JobRegistry[K]> };

/** What a type's handler resolves with (the `result` of its SUCCEEDED job). */
export type ResultOf<K extends JobType> = ResultOfModule<(typeof jobHandlers)[K]>;

/** Built handlers, one per type (what the local cloud runs; tests replace some). */
export type JobHandlers = { readonly [K in JobType]: JobHandler<PayloadOf<K>> };

/** Every port at once, for a process that runs every type (the local cloud). */
export type AllPorts = CorePorts & CapabilityPorts;

export function createJobHandlers(ports: AllPorts): JobHandlers {
  const built: Partial<Record<JobType, unknown>> = {};
  for (const [type, module] of Object.entries(jobHandlers)) built[type as JobType] = (module as JobHandlerModule).create(ports);
  return built as JobHandlers;
}
