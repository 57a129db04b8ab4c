import type { DeadLetterIndex } from '../../shared/ports/dead-letters.js';
import type { JobStore } from '../../shared/ports/job-store.js';
import { withAfterTransition } from '../adapters/after-transition.js';

/**
 * The worker's JobStore, indexing every job it moves to DEAD so operators can list a DLQ by job
 * type without receiving its messages.
 *
 * The entry is written after the DEAD write (it needs the final record). If that second write fails
 * the error propagates, the worker leaves the message to its visibility timeout, and the record —
 * the source of truth — is DEAD either way: retry by id still works, and `GET /v1/queues/{type}/dlq`
 * shows the DLQ holding more messages than indexed jobs.
 */
export function withDeadLetterIndex(inner: JobStore, deadLetters: DeadLetterIndex): JobStore {
  return withAfterTransition(inner, async (record, change) => {
    if (change.to === 'DEAD') await deadLetters.add(record);
  });
}
