import { Worker } from 'node:worker_threads';
import { fromThreadError, toThreadError, type FromThread, type ToThread } from './protocol.js';

/** Methods a thread may call on the thread that started it (e.g. the scheduler, which lives there). */
export type ThreadServices = Readonly<Record<string, (...args: never[]) => Promise<unknown>>>;

export interface LocalThread<R> {
  /** What the thread reported when it was ready (its endpoint…). */
  readonly ready: R;
  readonly info: LocalThreadInfo;
  /** Asks the thread to stop (it closes its servers) and waits until it has exited. */
  stop(): Promise<void>;
}

/** A thread of the local cloud: its name, and its id in the operating system where known (Linux). */
export interface LocalThreadInfo {
  readonly name: string;
  readonly tid?: number;
}

/** How long a thread may take to close its servers before it is terminated. */
const STOP_GRACE_MS = 15_000;

/**
 * Starts `module` (a file of local/threads/) in a worker thread with `data`, and resolves once the
 * thread reports ready — or rejects with the error it failed with (a port in use keeps its code).
 * A thread is a separate V8 isolate with its own event loop: the local servers and functions in
 * threads use both cores, as they run on separate machines on AWS. Threads end with the process, so
 * a killed `npm start` leaves nothing listening behind it.
 */
export async function startThread<R>(
  module: URL,
  data: unknown,
  options: { services?: ThreadServices; onLog?: (line: string) => void; name: string },
): Promise<LocalThread<R>> {
  const worker = new Worker(new URL('./boot.mjs', import.meta.url), {
    workerData: { module: module.href, data },
    name: options.name,
    // The thread writes its own output; the process's stdout and stderr carry it.
    stdout: false,
    stderr: false,
  });
  let exited = false;
  const exit = new Promise<number>((resolve) => worker.once('exit', (code) => {
    exited = true;
    resolve(code);
  }));
  let stopped: Promise<void> | undefined;
  let tid: number | undefined;
  const ready = await new Promise<R>((resolve, reject) => {
    worker.on('message', (message: FromThread) => {
      switch (message.kind) {
        case 'ready':
          tid = message.tid;
          return resolve(message.value as R);
        case 'failed':
          return reject(fromThreadError(message.error));
        case 'log':
          return options.onLog?.(message.line);
        case 'call':
          return void answer(worker, options.services, message);
      }
    });
    worker.once('error', reject);
    void exit.then((code) => reject(new Error(`local cloud thread ${options.name} exited (${code}) before it was ready`)));
  }).catch(async (error: unknown) => {
    if (!exited) await worker.terminate();
    throw error;
  });
  return {
    ready,
    info: { name: options.name, ...(tid !== undefined ? { tid } : {}) },
    stop: () => (stopped ??= (async () => {
      if (exited) return;
      worker.postMessage({ kind: 'stop' } satisfies ToThread);
      const timer = setTimeout(() => void worker.terminate(), STOP_GRACE_MS);
      await exit;
      clearTimeout(timer);
    })()),
  };
}

async function answer(worker: Worker, services: ThreadServices | undefined, call: Extract<FromThread, { kind: 'call' }>): Promise<void> {
  const method = services?.[call.method];
  try {
    if (!method) throw new Error(`the local cloud offers threads no method "${call.method}"`);
    const value = await (method as (...args: readonly unknown[]) => Promise<unknown>)(...call.args);
    worker.postMessage({ kind: 'reply', id: call.id, value } satisfies ToThread);
  } catch (error) {
    worker.postMessage({ kind: 'reply', id: call.id, error: toThreadError(error) } satisfies ToThread);
  }
}
