import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../helpers/processes.js';

/**
 * `npm run new-job` on a scratch copy of the repository, as a user runs it: right after the command,
 * with no other edit, the project typechecks, the scaffold's own test passes, `npm start` runs the
 * new type's sample job to SUCCEEDED, and `cdk synth` has its queue, DLQ, consumer, alarms and
 * dashboard row. The copy holds the sources only; node_modules is a link to this repository's.
 */
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SKIP_AT_ROOT = new Set(['node_modules', '.git', '.data', 'cdk.out', '.conveyor', 'coverage', 'test-results']);
const TYPE = 'thumbnail';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return runProcess(command, args, { cwd, env: { ...process.env, ...env } });
}

/** Every file under `dir` with its content, to prove a refusal changed nothing. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && !relative(dir, path).startsWith('node_modules')) files.set(relative(dir, path), readFileSync(path, 'utf8'));
  }
  return files;
}

/** Resolves when `check` returns a value; polls an observation, bounded by `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('E2E: npm run new-job on a scratch copy of the repository', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'conveyor-new-job-'));
  const copy = join(scratch, 'conveyor');
  let scaffold: Run;
  let cloud: ChildProcess | undefined;

  beforeAll(() => {
    cpSync(REPO, copy, { recursive: true, filter: (source) => !SKIP_AT_ROOT.has(relative(REPO, source)) });
    symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'), 'dir');
  });

  /** npm start is a process group (npm, tsx, node): stop it all, as Ctrl-C would. */
  async function stopCloud(): Promise<void> {
    if (cloud?.pid === undefined || cloud.exitCode !== null || cloud.signalCode !== null) return;
    const exited = new Promise((resolve) => cloud!.once('exit', resolve));
    process.kill(-cloud.pid, 'SIGINT');
    await exited;
    await until('every process of npm start to exit', () => (groupAlive(cloud!.pid!) ? undefined : true), 30_000);
  }

  afterAll(async () => {
    await stopCloud();
    rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it('refuses an invalid or taken name with one line and exit code 2, changing nothing', async () => {
    // Prepare
    const before = snapshot(join(copy, 'shared'));
    const beforeFunctions = snapshot(join(copy, 'functions'));

    // Act
    const invalid = await run('npm', ['run', '--silent', 'new-job', '--', 'Thumb_Nail'], copy);
    const taken = await run('npm', ['run', '--silent', 'new-job', '--', 'email'], copy);
    const clashing = await run('npm', ['run', '--silent', 'new-job', '--', 'pdf-dlq'], copy);

    // Assess
    for (const refused of [invalid, taken, clashing]) {
      expect(refused.code).toBe(2);
      expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(invalid.stderr).toContain('"Thumb_Nail" is not a valid job type name');
    expect(taken.stderr).toContain('"email" is taken');
    expect(clashing.stderr).toContain('"pdf-dlq" is taken');
    expect(snapshot(join(copy, 'shared'))).toEqual(before);
    expect(snapshot(join(copy, 'functions'))).toEqual(beforeFunctions);
  });

  it('writes the definition, handler and test, registers both, and prints them with a curl line', async () => {
    // Act
    scaffold = await run('npm', ['run', '--silent', 'new-job', '--', TYPE], copy);

    // Assess
    expect(scaffold.code, scaffold.stderr).toBe(0);
    for (const path of [`shared/jobs/${TYPE}.ts`, `functions/jobs/${TYPE}/handler.ts`, `test/unit/jobs/${TYPE}.test.ts`, 'shared/jobs/registry.ts', 'functions/jobs/index.ts']) {
      expect(scaffold.stdout).toContain(path);
      expect(existsSync(join(copy, path))).toBe(true);
    }
    expect(readFileSync(join(copy, 'shared/jobs/registry.ts'), 'utf8')).toContain(`${TYPE}: ${TYPE}Job,`);
    expect(readFileSync(join(copy, 'functions/jobs/index.ts'), 'utf8')).toContain(`${TYPE}: ${TYPE}Handler,`);
    expect(scaffold.stdout).toMatch(/curl -s -X POST http:\/\/127\.0\.0\.1:\d+\/v1\/jobs .* -d '\{"type":"thumbnail",.*\}'/);
  });

  it('typechecks, its own unit test passes, and the contract includes it', async () => {
    // Act
    // Niced, like the synth below: other test files run beside this one and must not starve.
    const typecheck = await run('nice', ['-n', '15', 'npm', 'run', '--silent', 'typecheck'], copy);
    // Its own test, and the contract test: openapi.json was regenerated with the new type's payload.
    const unit = await run('nice', ['-n', '15', 'npx', 'vitest', 'run', `test/unit/jobs/${TYPE}.test.ts`, 'test/unit/api/openapi.test.ts'], copy);

    // Assess
    expect(typecheck.code, typecheck.stdout + typecheck.stderr).toBe(0);
    expect(unit.code, unit.stdout + unit.stderr).toBe(0);
    expect(unit.stdout).toMatch(/8 passed/);
    expect(readFileSync(join(copy, 'openapi.json'), 'utf8')).toContain('"const": "thumbnail"');
  }, 600_000);

  it('npm start creates its queue and DLQ and runs the printed sample job to SUCCEEDED', async () => {
    // Prepare: npm start on a free port, its data in the scratch folder
    const dataDir = join(scratch, 'data');
    let log = '';
    cloud = spawn('npm', ['start'], { cwd: copy, detached: true, env: { ...process.env, PORT: '0', CONVEYOR_DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
    cloud.stdout!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    cloud.stderr!.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const endpoint = await until('the local cloud to write its endpoint', () => {
      if (cloud!.exitCode !== null) throw new Error(`npm start exited ${cloud!.exitCode}:\n${log}`);
      return existsSync(join(dataDir, 'endpoint.json')) ? (JSON.parse(readFileSync(join(dataDir, 'endpoint.json'), 'utf8')) as { url: string; apiKey: string }) : undefined;
    }, 120_000);
    const sqsEndpoint = /SQS\s+(http:\/\/\S+)/.exec(log)?.[1];
    const sample = /-d '(\{.*\})'/.exec(scaffold.stdout)![1]!;
    const headers = { authorization: `Bearer ${endpoint.apiKey}`, 'content-type': 'application/json' };

    // Act
    const accepted = await fetch(`${endpoint.url}/v1/jobs`, { method: 'POST', headers, body: sample });
    const { jobId } = (await accepted.json()) as { jobId: string };
    const job = await until('the job to finish', async () => {
      const view = (await (await fetch(`${endpoint.url}/v1/jobs/${jobId}`, { headers })).json()) as { status: string };
      return ['SUCCEEDED', 'FAILED', 'DEAD'].includes(view.status) ? view : undefined;
    }, 60_000);
    const queues = await (await fetch(sqsEndpoint!, { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'AmazonSQS.ListQueues' }, body: JSON.stringify({ QueueNamePrefix: `conveyor-local-${TYPE}` }) })).json();
    await stopCloud();

    // Assess
    expect(accepted.status).toBe(202);
    expect(job).toMatchObject({ status: 'SUCCEEDED', progress: 100, result: { words: 3, steps: 3 } });
    expect((queues as { QueueUrls: string[] }).QueueUrls.map((url) => url.split('/').at(-1)).sort()).toEqual([`conveyor-local-${TYPE}`, `conveyor-local-${TYPE}-dlq`]);
  }, 240_000);

  it('npm run synth (one stage) has its queue, DLQ, consumer, alarms and dashboard row', async () => {
    // Act
    const out = join(scratch, 'cdk.out');
    const synth = await run('nice', ['-n', '15', 'npx', 'cdk', 'synth', '--quiet', '-c', 'stage=dev', '-o', out], copy);
    const template = JSON.parse(readFileSync(join(out, 'Conveyor-dev-Service.template.json'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    const named = (type: string, key: string, value: string) => resources.filter((r) => r.Type === type && r.Properties[key] === value);

    // Assess
    expect(synth.code, synth.stderr).toBe(0);
    expect(named('AWS::SQS::Queue', 'QueueName', `conveyor-dev-${TYPE}`)).toHaveLength(1);
    expect(named('AWS::SQS::Queue', 'QueueName', `conveyor-dev-${TYPE}-dlq`)).toHaveLength(1);
    expect(named('AWS::Lambda::Function', 'FunctionName', `conveyor-dev-worker-${TYPE}`)).toHaveLength(1);
    const alarms = resources.filter((r) => r.Type === 'AWS::CloudWatch::Alarm' && String(r.Properties.AlarmName).startsWith(`Conveyor-dev-${TYPE}-`));
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    expect(JSON.stringify(resources.find((r) => r.Type === 'AWS::CloudWatch::Dashboard')?.Properties.DashboardBody)).toContain(`Job type: ${TYPE}`);
  }, 600_000);
});
