import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildStats {
  /** Process CPU time so far, user + system, µs. */
  readonly cpuMicros: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  /** Analysis messages acknowledged (deleted) by the event source mapping: finished jobs. */
  readonly done: number;
  readonly records: number;
  readonly invocations: number;
  /**
   * CPU time per thread of the cloud, µs: `main` (the consumers, event source mappings, scheduler),
   * each worker thread by name (api, dynamodb, sqs), and `other` — the rest of the process (V8's
   * GC helpers, libuv's pool: LevelDB reads and writes). Empty where threads cannot be read apart.
   */
  readonly threadCpuMicros: Readonly<Record<string, number>>;
}

export type ChildRequest = { id: number; cmd: 'stats' | 'gc' | 'record-starts' | 'starts' | 'stop' };
export interface ChildReply {
  readonly id: number;
  readonly stats: ChildStats;
  readonly ready?: { readonly apiUrl: string; readonly apiKey: string };
  /** jobId → epoch ms at which its handler started. */
  readonly starts?: readonly (readonly [string, number])[];
}

export interface CloudProcessOptions {
  /** Persist DynamoDB on LevelDB here (as `npm start` does); memory when absent. */
  readonly dataDir?: string;
  /** Write a V8 CPU profile of the cloud to this folder when it stops. */
  readonly cpuProfileDir?: string;
}

/** A local cloud in its own Node process (with `--expose-gc`), driven over IPC. */
export class CloudProcess {
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: ChildReply) => void>();
  #nextId = 1;
  apiUrl = '';
  apiKey = '';
  readonly startedAt = Date.now();

  private constructor(child: ChildProcess) {
    this.#child = child;
    child.on('message', (raw) => {
      const reply = raw as ChildReply;
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
  }

  static async start(options: CloudProcessOptions = {}): Promise<CloudProcess> {
    const execArgv = ['--import', 'tsx', '--expose-gc', ...(options.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`] : [])];
    const child = fork(fileURLToPath(new URL('./cloud-child.ts', import.meta.url)), [], {
      execArgv,
      env: { ...process.env, BENCH_CLOUD_DATA_DIR: options.dataDir ?? '' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const cloud = new CloudProcess(child);
    const ready = await new Promise<ChildReply>((resolve, reject) => {
      cloud.#pending.set(0, resolve);
      child.once('exit', (code) => reject(new Error(`the local cloud process exited (${code}) before it was ready`)));
      child.once('error', reject);
    });
    cloud.apiUrl = ready.ready?.apiUrl ?? '';
    cloud.apiKey = ready.ready?.apiKey ?? '';
    return cloud;
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  request(cmd: ChildRequest['cmd']): Promise<ChildReply> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, resolve);
      this.#child.send({ id, cmd } satisfies ChildRequest, (error) => error && reject(error));
    });
  }

  async stats(): Promise<ChildStats> {
    return (await this.request('stats')).stats;
  }

  /** Stops the cloud (jobs under way finish) and waits for the process to exit. */
  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    if (this.#child.exitCode === null) await this.request('stop');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  }
}
