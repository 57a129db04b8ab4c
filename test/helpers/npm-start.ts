import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer } from 'node:net';
import type { Readable } from 'node:stream';

/** A local entry point (`local/start.ts`, `local/chaos/cli.ts`) run as a user runs it: its own process. */
export interface LocalProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
}

export function runLocal(script: string, args: readonly string[], env: NodeJS.ProcessEnv): LocalProcess {
  const child = spawn(process.execPath, ['node_modules/tsx/dist/cli.mjs', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** `npm start` with `env`, resolved once its API answers and its start-up banner is out. */
export async function startNpmStart(env: NodeJS.ProcessEnv, apiPort: number, timeoutMs = 60_000): Promise<LocalProcess> {
  const run = runLocal('local/start.ts', [], env);
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void run.exited.then((code) => (exitCode = code));
  while (Date.now() < deadline && exitCode === undefined) {
    const up = await fetch(`http://127.0.0.1:${apiPort}/v1/health`).then((r) => r.ok, () => false);
    // The banner is one write, printed right after the servers are up.
    if (up && run.stdout().includes(`http://127.0.0.1:${apiPort}`)) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  run.child.kill('SIGKILL');
  throw new Error(`npm start did not come up on ${apiPort} (exit ${exitCode}): ${run.stdout()}${run.stderr()}`);
}

/**
 * `npm start` on a fresh block of free ports: the ports are checked, not reserved, so another process
 * may take one before the cloud binds it; start-up then refuses in one line, and a new block is tried.
 */
export async function startNpmStartOnFreePorts(envFor: (base: number) => NodeJS.ProcessEnv): Promise<{ run: LocalProcess; base: number; env: NodeJS.ProcessEnv }> {
  for (let tries = 1; ; tries++) {
    const base = await freePortBlock(7);
    const env = envFor(base);
    try {
      return { run: await startNpmStart(env, base), base, env };
    } catch (error) {
      if (tries === 3 || !String(error).includes('is already in use')) throw error;
    }
  }
}

/** Stops a started cloud as Ctrl-C would and waits for it to exit. */
export async function stopNpmStart(run: LocalProcess): Promise<number | null> {
  run.child.kill('SIGINT');
  return run.exited;
}

/**
 * `count` consecutive free ports on 127.0.0.1 (checked, not reserved). Below Linux's ephemeral range
 * (32768–60999 by default), where the outgoing connections of other processes take ports at random.
 */
export async function freePortBlock(count: number): Promise<number> {
  for (let tries = 0; tries < 50; tries++) {
    const base = 20_000 + Math.floor(Math.random() * (12_000 - count));
    let free = true;
    for (let port = base; port < base + count && free; port++) free = await isFree(port);
    if (free) return base;
  }
  throw new Error(`no ${count} consecutive free ports found`);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
