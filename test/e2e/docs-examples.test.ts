import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';

const run = promisify(execFile);

/**
 * test/docs/shell-blocks.test.ts runs every block of the docs and checks it exits 0 without an error
 * code its text does not name; this file checks that these pages' examples answer what their comments say.
 */
function shBlocks(page: string, heading: string): string[] {
  const lines = readFileSync(new URL(`../../docs/${page}`, import.meta.url), 'utf8').split('\n');
  const start = lines.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const level = heading.split(' ')[0]!.length;
  const blocks: string[] = [];
  let block: string[] | undefined;
  for (const line of lines.slice(start + 1)) {
    if (block) {
      if (line === '```') {
        blocks.push(block.join('\n'));
        block = undefined;
      } else block.push(line);
      continue;
    }
    if (line === '```sh') block = [];
    else if (/^#{1,6} /.test(line) && line.split(' ')[0]!.length <= level) break;
  }
  return blocks;
}

let api: ApiClient;

beforeAll(async () => {
  api = await bootLocalCloud();
});

afterAll(async () => {
  await api?.cloud.stop();
});

/** Runs a README block as a reader would paste it: bash, with URL and KEY set, stopping at the first failure. */
async function runBlock(script: string): Promise<string> {
  const { stdout } = await run('bash', ['-e', '-o', 'pipefail', '-c', script], { env: { ...process.env, URL: api.cloud.apiUrl, KEY: api.cloud.apiKey }, timeout: 60_000 });
  return stdout;
}

describe('E2E: the docs’ curl examples for pausing, TTL, edits and priorities answer what they say', { timeout: 120_000 }, () => {
  it('Pausing a job type', async () => {
    // Prepare
    const [block] = shBlocks('operating.md', '### Pausing a job type');

    // Act: the block waits for the job to succeed after the resume.
    const out = await runBlock(block!);

    // Assess
    expect(out).toMatch(/\{"type":"email","paused":true,"pausedAt":"[^"]+","pausedBy":"local-dev"\}/);
    expect(out).toMatch(/"type":"email","status":"QUEUED"/);
    expect(out).toMatch(/"type":"email","queue":\{[^}]*\},"dlq":[^]*?"paused":true,"pausedAt":"[^"]+","pausedBy":"local-dev"/);
    expect(out).toContain('{"type":"email","paused":false}');
  });

  it('Job TTL: start by, or expire', async () => {
    // Prepare
    const [block] = shBlocks('features.md', '## Job TTL: start by, or expire');

    // Act
    const out = await runBlock(block!);

    // Assess
    // Two enqueues print their answer; the third's id goes into $JOB.
    expect(out.match(/"jobId":"[^"]+","status":"QUEUED"/g)).toHaveLength(2);
    expect(out).toContain('"status":"EXPIRED"');
    expect(out).toContain('"code":"EXPIRED"');
  });

  it('Editing a waiting job', async () => {
    // Prepare
    const [block] = shBlocks('features.md', '## Editing a waiting job');

    // Act
    const out = await runBlock(block!);

    // Assess
    const edited = out.slice(0, out.indexOf('{"error"'));
    expect(JSON.parse(edited)).toMatchObject({ status: 'QUEUED', priority: 'high', payload: { description: 'Final text.' } });
    expect(JSON.parse(edited).runAt).toBeUndefined();
    expect(out).toContain('"code":"JOB_STARTED"');
  });

  it('Priorities', async () => {
    // Prepare
    const [block] = shBlocks('features.md', '## Priorities');

    // Act
    const out = await runBlock(block!);

    // Assess
    expect(out.match(/"status":"QUEUED"/g)).toHaveLength(2);
    expect(out).toContain('{"path":"priority","message":"job type \\"pdf\\" has no priorities');
  });
});
