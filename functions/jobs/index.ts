import type { JobType, PayloadOf } from '../../shared/jobs/registry.js';
import type { JobHandler } from '../worker/context.js';
import { analysisHandler } from './analysis/handler.js';
import { createEmailHandler, type EmailHandlerDeps } from './email/handler.js';
import { createPdfHandler, type PdfHandlerDeps } from './pdf/handler.js';

/** One handler per registered job type. A type with no handler here does not compile. */
export type JobHandlers = { readonly [K in JobType]: JobHandler<PayloadOf<K>> };

/** Dependencies some handlers need (mailer, blob store…), injected by the entry or the local cloud. */
export interface JobHandlerDeps {
  readonly email: EmailHandlerDeps;
  readonly pdf: PdfHandlerDeps;
}

export function createJobHandlers(deps: JobHandlerDeps): JobHandlers {
  return {
    analysis: analysisHandler,
    email: createEmailHandler(deps.email),
    pdf: createPdfHandler(deps.pdf),
  };
}
