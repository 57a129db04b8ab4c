import type { JobType, PayloadOf } from '../../shared/jobs/registry.js';
import type { JobHandler } from '../worker/context.js';
import { createAiHandler, type AiHandlerDeps } from './ai/handler.js';
import { createAnalysisHandler, type AnalysisHandlerDeps } from './analysis/handler.js';
import { createEmailHandler, type EmailHandlerDeps } from './email/handler.js';
import { createNotificationHandler, type NotificationHandlerDeps } from './notification/handler.js';
import { createPdfHandler, type PdfHandlerDeps } from './pdf/handler.js';

/** One handler per registered job type. A type with no handler here does not compile. */
export type JobHandlers = { readonly [K in JobType]: JobHandler<PayloadOf<K>> };

/** Dependencies some handlers need (mailer, blob store…), injected by the entry or the local cloud. */
export interface JobHandlerDeps {
  readonly analysis: AnalysisHandlerDeps;
  readonly email: EmailHandlerDeps;
  readonly pdf: PdfHandlerDeps;
  readonly notification: NotificationHandlerDeps;
  readonly ai: AiHandlerDeps;
}

export function createJobHandlers(deps: JobHandlerDeps): JobHandlers {
  return {
    analysis: createAnalysisHandler(deps.analysis),
    email: createEmailHandler(deps.email),
    pdf: createPdfHandler(deps.pdf),
    notification: createNotificationHandler(deps.notification),
    ai: createAiHandler(deps.ai),
  };
}
