import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNpmStartOnFreePorts, stopNpmStart, type LocalProcess } from '../helpers/npm-start.js';
import { DOC_FILES, shellBlocks, type ShellBlock } from '../helpers/docs.js';

/*
 * Every `sh` block of the README and docs/ runs as written against a real `npm start`, in the order
 * a reader meets them, one shell per page (a page's variables and functions carry from block to
 * block, as in a terminal). The one rewrite: the local cloud's default ports (3000–3006) become the
 * test's free ones. A block that needs AWS, starts a long-running process or rewrites committed files
 * is marked `<!-- shell: syntax-only … -->` right above its fence and is checked with `bash -n`.
 *
 * A block passes when it exits 0 under `set -e` and its output holds no error code its own text
 * does not mention: an example that answers 404 or 400 where it promises a job is caught, a
 * documented 409 is not.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ERROR_CODES = /"code":"(UNAUTHENTICATED|FORBIDDEN|NOT_FOUND|VALIDATION_FAILED|INVALID_JSON|PAYLOAD_TOO_LARGE|UNSUPPORTED_MEDIA_TYPE|RATE_LIMITED|SERVICE_UNAVAILABLE|INTERNAL|[A-Z_]+)"/g;

function bash(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; input?: string }): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('bash', args, { cwd: options.cwd, env: options.env, maxBuffer: 64 * 1024 * 1024, timeout: 240_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

describe('Docs: every shell block runs as written', () => {
  let cloud: LocalProcess;
  let base: number;
  let workDir: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    // A working directory that looks like the repository (its files symlinked) with its own .data.
    workDir = mkdtempSync(join(tmpdir(), 'conveyor-docs-'));
    for (const entry of readdirSync(ROOT)) if (!['.data', '.git'].includes(entry)) symlinkSync(join(ROOT, entry), join(workDir, entry));
    const started = await startNpmStartOnFreePorts((port) => {
      const { CONVEYOR_ENDPOINT: _endpoint, CONVEYOR_API_KEY: _key, ...inherited } = process.env;
      return { ...inherited, PORT: String(port), CONVEYOR_DATA_DIR: join(workDir, '.data'), LOG_LEVEL: 'warn', NO_COLOR: '1' };
    });
    ({ run: cloud, base, env } = started);
  }, 120_000);

  afterAll(async () => {
    if (cloud) await stopNpmStart(cloud);
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  const atPort = (text: string) => text.replace(/127\.0\.0\.1:300([0-6])\b/g, (_, n: string) => `127.0.0.1:${base + Number(n)}`);

  it.each(DOC_FILES.map((file) => [file]))('%s', async (file) => {
    // Prepare
    const blocks = shellBlocks(readFileSync(join(ROOT, file), 'utf8'));
    const runnable = blocks.filter((b) => !b.syntaxOnly);
    const script = ['set -e', ...runnable.map((b, i) => `printf '\\n@@block ${i}@@\\n'\n${atPort(b.code)}`), `printf '\\n@@end@@\\n'`].join('\n');

    // Act
    const syntax = await Promise.all(blocks.filter((b) => b.syntaxOnly).map(async (b) => ({ block: b, result: await bash(['-n'], { cwd: workDir, env, input: b.code }) })));
    const run = runnable.length ? await bash(['-c', script], { cwd: workDir, env }) : { code: 0, stdout: '@@end@@', stderr: '' };

    // Assess
    for (const { block, result } of syntax) expect(result.stderr, `${file}:${block.line} (syntax)`).toBe('');
    const outputs = run.stdout.split(/\n@@block \d+@@\n/).slice(1);
    const failedAt = runnable[outputs.length - 1];
    expect(run.code, `${file}: the block at line ${failedAt?.line} failed (exit ${run.code}):\n${run.stdout.slice(-2_000)}\n${run.stderr.slice(-2_000)}`).toBe(0);
    expect(run.stdout).toContain('@@end@@');
    outputs.forEach((output, i) => {
      const block = runnable[i] as ShellBlock;
      const unexpected = [...output.matchAll(ERROR_CODES)].map((m) => m[1]!).filter((code) => !block.code.includes(code));
      expect(unexpected, `${file}:${block.line} answered ${unexpected.join(', ')}:\n${output.slice(0, 2_000)}`).toEqual([]);
    });
  }, 300_000);
});
