import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_API_KEYS } from '../../local/cloud.js';
import { analysisPayload } from '../helpers/factories.js';

/** `npm start` as a real process on a data dir (one process: `kill -9` kills the cloud itself, not a wrapper). */
interface Started {
  readonly child: ChildProcess;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Resolves once the start-up banner is out; rejects if the process exits first. */
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
}

const running: ChildProcess[] = [];

function npmStart(dataDir: string): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
    env: { ...process.env, PORT: '0', CONVEYOR_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', () => {
      if (stdout.includes('Ctrl-C stops')) resolve();
    });
    void exited.then((code) => reject(new Error(`npm start exited ${code} before it was up: ${stdout}${stderr}`)));
  });
  ready.catch(() => undefined);
  return { child, stdout: () => stdout, stderr: () => stderr, ready, exited };
}

function apiUrlOf(output: string): string {
  const match = /API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(output);
  if (!match) throw new Error(`no API URL in: ${output}`);
  return match[1]!;
}

async function api(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON of many shapes
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${LOCAL_API_KEYS[0]!.key}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: await response.json() };
}

afterAll(async () => {
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

describe('E2E: one local cloud per data dir', () => {
  it('refuses a second `npm start` on a data dir in use, in one line, without touching the first one\'s files', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'conveyor-lock-'));
    try {
      // Prepare: the first local cloud, up, with a job waiting in its queue
      const first = npmStart(dataDir);
      await first.ready;
      const url = apiUrlOf(first.stdout());
      const accepted = await api(url, 'POST', '/v1/jobs', { type: 'analysis', payload: analysisPayload(), delaySeconds: 600 });
      expect(accepted.status).toBe(202);
      const journal = join(dataDir, 'sqs', 'journal.jsonl');
      const journalBefore = statSync(journal).ino;

      // Act: a second start on the same data dir
      const second = npmStart(dataDir);
      const code = await second.exited;

      // Assess: refused in one clear line; the running cloud's journal is the same file, still in use
      expect(code).not.toBe(0);
      const lines = second.stderr().split('\n').filter((line) => line.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`data dir .* is in use by another local cloud \\(pid ${first.child.pid}\\)`));
      expect(second.stdout()).not.toContain('is up');
      expect(statSync(journal).ino).toBe(journalBefore);
      const later = await api(url, 'POST', '/v1/jobs', { type: 'analysis', payload: analysisPayload(), delaySeconds: 600 });
      expect(later.status).toBe(202);

      // Act: the first dies without a chance to clean up, and a new start takes the data dir over
      first.child.kill('SIGKILL');
      await first.exited;
      const third = npmStart(dataDir);
      await third.ready;
      const thirdUrl = apiUrlOf(third.stdout());
      const overview = await api(thirdUrl, 'GET', '/v1/queues');
      const jobs = await Promise.all([accepted.body.jobId, later.body.jobId].map((jobId: string) => api(thirdUrl, 'GET', `/v1/jobs/${jobId}`)));
      third.child.kill('SIGTERM');
      await third.exited;

      // Assess: the lock did not outlive its owner, and both accepted jobs are still queued
      const analysis = overview.body.queues.find((q: { type: string }) => q.type === 'analysis');
      expect(analysis.queue.delayed).toBe(2);
      expect(jobs.map((job) => job.body.status)).toEqual(['QUEUED', 'QUEUED']);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 150_000);

  it('prints every local key and every endpoint at start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'conveyor-banner-'));
    try {
      const started = npmStart(dataDir);
      await started.ready;
      const banner = started.stdout();
      started.child.kill('SIGTERM');
      await started.exited;

      for (const { key, principal } of LOCAL_API_KEYS) {
        expect(banner).toContain(key);
        expect(banner).toContain(`tenant "${principal.tenant}", scopes ${principal.scopes.join(', ')}`);
      }
      for (const endpoint of ['API', 'Dashboard', 'DynamoDB', 'SQS', 'SES', 'S3', 'Mail inbox']) expect(banner).toMatch(new RegExp(`\\n  ${endpoint}\\s+http://127\\.0\\.0\\.1:\\d+`));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 90_000);
});
