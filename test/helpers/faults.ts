import { RetryableJobError } from '../../shared/domain/errors.js';
import type { JobHandler } from '../../functions/worker/context.js';

/**
 * A switchable fault in front of a real handler, for the local cloud's `handlers` override: while
 * `failing` is true every run throws a retryable error; `runs` counts handler invocations per job.
 */
export interface Fault {
  failing: boolean;
  /** When set, each run reports 40% and then waits for this promise before doing its work. */
  hold?: Promise<void>;
}

export function faultyHandler<P>(real: JobHandler<P>): { handler: JobHandler<P>; runs: Map<string, number>; fault: Fault } {
  const runs = new Map<string, number>();
  const fault: Fault = { failing: true };
  const handler: JobHandler<P> = async (payload, context) => {
    runs.set(context.jobId, (runs.get(context.jobId) ?? 0) + 1);
    if (fault.failing) throw new RetryableJobError('injected fault: downstream unavailable', 'INJECTED_FAULT');
    if (fault.hold) {
      await context.progress(40, 'held by the test');
      await fault.hold;
    }
    return real(payload, context);
  };
  return { handler, runs, fault };
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs` with the last value seen. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms${last ? `; last error ${String(last)}` : ''}`);
}
