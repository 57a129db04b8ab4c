/**
 * What a local-cloud thread and the thread that started it say to each other (thread.ts,
 * serve-thread.ts). Plain data: messages cross the thread boundary by structured clone.
 */
export type ToThread =
  | { readonly kind: 'stop' }
  | { readonly kind: 'reply'; readonly id: number; readonly value?: unknown; readonly error?: ThreadError };

export type FromThread =
  | { readonly kind: 'ready'; readonly value: unknown; readonly tid?: number }
  | { readonly kind: 'failed'; readonly error: ThreadError }
  | { readonly kind: 'call'; readonly id: number; readonly method: string; readonly args: readonly unknown[] }
  | { readonly kind: 'log'; readonly line: string };

/** An error as it crosses a thread: name, message and the system code (EADDRINUSE…) survive. */
export interface ThreadError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly stack?: string;
}

export function toThreadError(error: unknown): ThreadError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const code = (error as NodeJS.ErrnoException).code;
  return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), ...(error.stack ? { stack: error.stack } : {}) };
}

export function fromThreadError(error: ThreadError): Error {
  const revived = Object.assign(new Error(error.message), { name: error.name, ...(error.code ? { code: error.code } : {}) });
  if (error.stack) revived.stack = error.stack;
  return revived;
}
