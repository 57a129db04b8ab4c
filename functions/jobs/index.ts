import type { JobType, PayloadOf } from '../../shared/jobs/registry.js';
import type { JobHandler } from '../worker/context.js';
import { analysisHandler } from './analysis/handler.js';
import { notImplemented } from './not-implemented.js';

/** One handler per registered job type. A type with no handler here does not compile. */
export type JobHandlers = { readonly [K in JobType]: JobHandler<PayloadOf<K>> };

/** Dependencies some handlers need (mailer, blob store…), injected by the entry or the local cloud. */
export type JobHandlerDeps = Record<string, never>;

export function createJobHandlers(_deps: JobHandlerDeps = {}): JobHandlers {
  return {
    analysis: analysisHandler,
    email: notImplemented('email'),
    pdf: notImplemented('pdf'),
  };
}
