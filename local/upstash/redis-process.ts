import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RespConnection } from './resp.js';

/** redis-server is not installed, or could not start: features that need Redis stay off. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RedisUnavailableError';
  }
}

export interface RedisProcess {
  /** Unix socket the server listens on. */
  readonly socketPath: string;
  stop(): Promise<void>;
}

/**
 * Starts Debian's `redis-server` as a child process in a fresh temp directory, memory only
 * (`--save ''`, no AOF). It listens on a unix socket inside that directory and on no TCP port
 * (`--port 0`): nothing to allocate, nothing to collide with when several clouds run at once.
 */
export async function startRedisServer(options: { binary?: string; startTimeoutMs?: number } = {}): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-redis-'));
  const socketPath = join(dir, 'redis.sock');
  const binary = options.binary ?? 'redis-server';
  const args = ['--port', '0', '--unixsocket', socketPath, '--unixsocketperm', '700', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'warning'];
  // Tied to this process through a pipe: a small shell runs redis-server and stops it when our end
  // of its stdin closes — also when this process dies without stop() (a killed test worker), so no
  // redis-server outlives the cloud that started it.
  const child = spawn('/bin/sh', ['-c', 'command -v "$0" >/dev/null 2>&1 || exit 127; "$0" "$@" & pid=$!; trap \'kill $pid 2>/dev/null\' TERM; read _ || true; kill $pid 2>/dev/null; wait $pid', binary, ...args], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  const exited = new Promise<Error>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ENOENT' ? new RedisUnavailableError(`${binary} not found on PATH (apt-get install -y redis-server)`, { cause: error }) : error),
    );
    child.once('exit', (code, signal) =>
      resolve(new RedisUnavailableError(code === 127 ? `${binary} not found on PATH (apt-get install -y redis-server)` : `${binary} exited (${signal ?? code}) before it was ready: ${stderr.trim()}`)),
    );
  });
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  try {
    await Promise.race([waitForPing(socketPath, options.startTimeoutMs ?? 10_000), exited.then((error) => Promise.reject(error))]);
  } catch (error) {
    child.kill('SIGKILL');
    cleanup();
    throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(`${binary} did not start: ${String(error)}`, { cause: error });
  }
  return { socketPath, stop: () => stopChild(child).finally(cleanup) };
}

async function waitForPing(socketPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const connection = await RespConnection.open(socketPath);
      await connection.send(['PING']);
      connection.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 3_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    // Closing the pipe makes the shell stop redis-server and exit.
    child.stdin?.end();
  });
}
