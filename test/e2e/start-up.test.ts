import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../helpers/faults.js';
import { freePortBlock, runLocal, startNpmStart, startNpmStartOnFreePorts, stopNpmStart } from '../helpers/npm-start.js';

const dirs: string[] = [];
const dataDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'conveyor-start-up-'));
  dirs.push(dir);
  return dir;
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Another process listening on `port` until the returned function is called. */
async function holdPort(port: number): Promise<() => Promise<void>> {
  const holder = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${port}, '127.0.0.1', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`port holder exited ${code}`)));
  });
  return async () => {
    const exited = new Promise((resolve) => holder.once('exit', resolve));
    holder.kill('SIGKILL');
    await exited;
  };
}

/** The `http://127.0.0.1:<port>` addresses in a start-up banner. */
const addresses = (banner: string): string[] => [...new Set(banner.match(/http:\/\/127\.0\.0\.1:\d+/g) ?? [])].sort();

describe('E2E: `npm start` from a newcomer\'s seat', { timeout: 180_000 }, () => {
  it('a port in use ends start-up with one line (what, which port, what to do) and exit code 1', async () => {
    // Prepare: the API's port, then SES's and S3's (libraries with their own listen), each held by another process
    const base = await freePortBlock(7);
    const cases = [
      { port: base, says: /^Cannot start: port \d+ \(the API and dashboard\) is already in use .* set PORT to another port/ },
      { port: base + 3, says: /^Cannot start: port \d+ \(local SES and the mail inbox\) is already in use .* set CONVEYOR_SES_PORT to another port, or PORT/ },
      { port: base + 4, says: /^Cannot start: port \d+ \(local S3\) is already in use .* set CONVEYOR_S3_PORT/ },
    ];
    for (const { port, says } of cases) {
      const release = await holdPort(port);
      try {
        // Act
        const run = runLocal('local/start.ts', [], { ...process.env, PORT: String(base), CONVEYOR_DATA_DIR: dataDir(), LOG_LEVEL: 'warn' });
        const code = await run.exited;

        // Assess
        const lines = run.stderr().split('\n').filter((line) => line.trim() !== '');
        expect(code, run.stderr()).toBe(1);
        expect(lines, run.stderr()).toHaveLength(1);
        expect(lines[0]).toMatch(says);
        expect(lines[0]).toContain(`port ${port} `);
        expect(run.stdout()).not.toContain('is up');
      } finally {
        await release();
      }
    }
  });

  it('listens on the same ports after a restart, and the mail inbox keeps its mails', async () => {
    // Prepare
    const dir = dataDir();
    const { run: first, base, env } = await startNpmStartOnFreePorts((port) => ({ ...process.env, PORT: String(port), CONVEYOR_DATA_DIR: dir, LOG_LEVEL: 'warn' }));
    const inbox = `http://127.0.0.1:${base + 3}/store`;
    let jobId: string;
    try {
      const posted = await fetch(`http://127.0.0.1:${base}/v1/jobs`, {
        method: 'POST',
        headers: { authorization: 'Bearer cvk_local_dev', 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'email', payload: { to: ['restart@example.com'], template: 'welcome', data: { name: 'Ada', loginUrl: 'https://app.example.com/login' } } }),
      });
      jobId = ((await posted.json()) as { jobId: string }).jobId;
      await eventually(async () => {
        const job = (await (await fetch(`http://127.0.0.1:${base}/v1/jobs/${jobId}`, { headers: { authorization: 'Bearer cvk_local_dev' } })).json()) as { status: string };
        return job.status === 'SUCCEEDED' ? true : undefined;
      }, 30_000, 'the e-mail job SUCCEEDED');
    } finally {
      expect(await stopNpmStart(first)).toBe(0);
    }

    // Act
    const second = await startNpmStart(env, base);
    let mails: { destination: { to: string[] } }[];
    try {
      mails = ((await (await fetch(inbox)).json()) as { emails: { destination: { to: string[] } }[] }).emails;
    } finally {
      expect(await stopNpmStart(second)).toBe(0);
    }

    // Assess
    // The API and the six local AWS servers (DynamoDB, SQS, SES, S3, Upstash, Lambda).
    expect(addresses(first.stdout())).toEqual(Array.from({ length: 7 }, (_, i) => `http://127.0.0.1:${base + i}`).sort());
    expect(addresses(second.stdout())).toEqual(addresses(first.stdout()));
    expect(second.stdout().match(/token (\S+)\)/)?.[1]).toBe(first.stdout().match(/token (\S+)\)/)?.[1]);
    expect(mails.filter((mail) => mail.destination.to.includes('restart@example.com'))).toHaveLength(1);
  });

  it('npm run chaos prints no AWS SDK Node-version warning', async () => {
    // Prepare: the variable that silences it is not inherited from the test's environment
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;

    // Act
    const run = runLocal('local/chaos/cli.ts', ['--jobs', '3'], env);
    const code = await run.exited;

    // Assess
    expect(code, run.stdout() + run.stderr()).toBe(0);
    expect(run.stdout()).toContain('all invariants hold');
    expect(run.stderr()).not.toMatch(/NodeVersionSupportWarning/);
  });
});
