import type { JobStore } from '../../shared/ports/job-store.js';
import { isTerminal } from '../../shared/domain/status.js';

/**
 * A consumer's view of `store` that dies right after a terminal write lands, before its flush: that
 * write and every later call never answer (a Lambda killed mid-invocation). `died` is told when it happens.
 */
export function diesAfterTerminalWrite(store: JobStore, died: () => void = () => undefined): JobStore {
  let dead = false;
  const never = new Promise<never>(() => undefined);
  const alive = <T>(call: () => Promise<T>): Promise<T> => (dead ? never : call());
  return {
    create: (job) => alive(() => store.create(job)),
    get: (jobId, options) => alive(() => store.get(jobId, options)),
    getMany: (jobIds, options) => alive(() => store.getMany(jobIds, options)),
    recordProgress: (jobId, attempt, progress, message) => alive(() => store.recordProgress(jobId, attempt, progress, message)),
    discard: (jobId, options) => alive(() => store.discard(jobId, options)),
    requestCancel: (jobId) => alive(() => store.requestCancel(jobId)),
    clearWebhookPending: (jobId, finishedAt) => alive(() => store.clearWebhookPending(jobId, finishedAt)),
    updateSendPending: (jobId, seen, next, generation) => alive(() => store.updateSendPending(jobId, seen, next, generation)),
    clearSweep: (jobId, sweepAt) => alive(() => store.clearSweep(jobId, sweepAt)),
    countChild: (parentId, childId, status) => alive(() => store.countChild(parentId, childId, status)),
    clearFlowPending: (jobId, finishedAt) => alive(() => store.clearFlowPending(jobId, finishedAt)),
    transition: (change) => alive(async () => {
      const record = await store.transition(change);
      if (isTerminal(change.to)) {
        dead = true;
        died();
        return never;
      }
      return record;
    }),
  };
}
