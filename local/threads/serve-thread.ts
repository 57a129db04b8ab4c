import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { fromThreadError, toThreadError, type FromThread, type ToThread } from './protocol.js';

/** The thread side of thread.ts: what a thread module receives and how it answers. */
export interface ThreadContext<D> {
  readonly data: D;
  /** Calls a method the starting thread offers (`ThreadServices`) and awaits its answer. */
  call(method: string, args: readonly unknown[]): Promise<unknown>;
  /** Hands a log line to the starting thread (when it collects them). */
  log(line: string): void;
}

/**
 * Runs a thread module: `start` brings its servers up and returns what to report as ready and how
 * to close them. A failure to start is reported (with its code) and ends the thread.
 */
export async function serveThread<D, R>(start: (context: ThreadContext<D>) => Promise<{ ready: R; close: () => Promise<void> }>): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('serveThread runs only in a worker thread (local/threads/thread.ts starts them)');
  const post = (message: FromThread) => port.postMessage(message);
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let closing: (() => Promise<void>) | undefined;
  let stopRequested = false;
  const stop = async () => {
    await closing?.().catch(() => undefined);
    // Ends this thread only (in a worker, process.exit stops the thread, not the process).
    process.exit(0);
  };
  port.on('message', (message: ToThread) => {
    if (message.kind === 'reply') {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) call?.reject(fromThreadError(message.error));
      else call?.resolve(message.value);
      return;
    }
    stopRequested = true;
    if (closing) void stop();
  });
  const context: ThreadContext<D> = {
    data: (workerData as { data: D }).data,
    call: (method, args) => new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      post({ kind: 'call', id, method, args });
    }),
    log: (line) => post({ kind: 'log', line }),
  };
  try {
    const started = await start(context);
    closing = started.close;
    const tid = threadId();
    post({ kind: 'ready', value: started.ready, ...(tid !== undefined ? { tid } : {}) });
    if (stopRequested) await stop();
  } catch (error) {
    post({ kind: 'failed', error: toThreadError(error) });
    process.exit(1);
  }
}

/** This thread's id in the operating system (Linux), so its CPU time can be read apart (bench). */
function threadId(): number | undefined {
  try {
    return Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ', 1)[0]) || undefined;
  } catch {
    return undefined;
  }
}
