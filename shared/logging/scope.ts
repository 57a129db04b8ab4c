import { AsyncLocalStorage } from 'node:async_hooks';

/*
 * Fields that belong to everything one invocation (or one SQS record) does: the Lambda request id,
 * cold start, the correlation id, the job. The entry of that work opens the scope explicitly
 * (`withLogFields`), and every line logged inside it carries them, whichever logger writes it — the
 * API's services, the completion-webhook outbox, an adapter. AsyncLocalStorage keeps concurrent
 * invocations apart (the local cloud runs many in one process; Lambda's multi-concurrency mode too),
 * where a shared logger's mutable keys (Powertools' appendKeys) would mix them.
 */
const scope = new AsyncLocalStorage<Readonly<Record<string, unknown>>>();

/** Runs `work` with `fields` on every log line it writes (added to the fields of an enclosing scope). */
export function withLogFields<T>(fields: Readonly<Record<string, unknown>>, work: () => T): T {
  const outer = scope.getStore();
  return scope.run(outer ? { ...outer, ...fields } : fields, work);
}

/** The fields of the scope the caller runs in (empty outside any). */
export function logScopeFields(): Readonly<Record<string, unknown>> | undefined {
  return scope.getStore();
}
