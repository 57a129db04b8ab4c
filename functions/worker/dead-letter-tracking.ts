import type { JobRecord } from '../../shared/domain/job.js';
import type { DeadLetterIndex } from '../../shared/ports/dead-letters.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';

/**
 * The worker's JobStore, indexing every job it moves to DEAD so operators can list a DLQ by job
 * type without receiving its messages. Everything else passes straight through to `inner` (a Proxy,
 * so methods added to the port later pass through too).
 *
 * The entry is written after the DEAD write (it needs the final record). If that second write fails
 * the error propagates, the worker leaves the message to its visibility timeout, and the record —
 * the source of truth — is DEAD either way: retry by id still works, and `GET /v1/queues/{type}/dlq`
 * shows the DLQ holding more messages than indexed jobs.
 */
export function withDeadLetterIndex(inner: JobStore, deadLetters: DeadLetterIndex): JobStore {
  const transition = async (change: Transition): Promise<JobRecord> => {
    const record = await inner.transition(change);
    if (change.to === 'DEAD') await deadLetters.add(record);
    return record;
  };
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'transition') return transition;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the real store: adapters keep state in private fields.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
