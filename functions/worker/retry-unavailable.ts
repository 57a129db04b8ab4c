import { DependencyUnavailableError } from '../../shared/domain/errors.js';

/**
 * Runs a store call, and again after each of `delaysMs` while the store answers "unavailable";
 * any other error (a conflict, a bug) is final at once. The last try's error reaches the caller.
 */
export async function retryWhileUnavailable<T>(call: () => Promise<T>, delaysMs: readonly number[]): Promise<T> {
  for (const delayMs of delaysMs) {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof DependencyUnavailableError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
  return call();
}
