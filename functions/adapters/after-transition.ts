import type { JobRecord } from '../../shared/domain/job.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';

/**
 * A JobStore that runs `after` once a transition has been recorded (only the write that won its
 * condition gets there). Everything else passes straight through to `inner` — a Proxy, so methods
 * added to the port later pass through too. Decorators for the dead-letter index and completion
 * webhooks are built on it.
 */
export function withAfterTransition(inner: JobStore, after: (record: JobRecord, change: Transition) => Promise<void>): JobStore {
  const transition = async (change: Transition): Promise<JobRecord> => {
    const record = await inner.transition(change);
    await after(record, change);
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
