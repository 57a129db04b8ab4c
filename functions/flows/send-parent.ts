import type { JobRecord } from '../../shared/domain/job.js';
import type { JobQueue } from '../../shared/ports/job-queue.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import type { Logger } from '../../shared/ports/logger.js';
import { sendOnce, type SendOnceOutcome } from '../recovery/send-once.js';

/**
 * How the flush of a flow's last child sends its parent (FollowUpFlusher's `sendParent`): through the
 * one conditional claim every sender shares, so the parent gets exactly one message whoever gets there first.
 */
export function parentSender(deps: { readonly store: JobStore; readonly queue: JobQueue; readonly logger: Logger; readonly now?: () => Date }): (parent: JobRecord) => Promise<SendOnceOutcome> {
  return (parent) => sendOnce({ store: deps.store, queue: deps.queue, logger: deps.logger, now: deps.now ?? (() => new Date()) }, parent);
}
