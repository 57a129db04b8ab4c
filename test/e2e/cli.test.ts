import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analysisHandler } from '../../functions/jobs/analysis/handler.js';
import { writeLocalEndpoint } from '../../local/endpoint-file.js';
import { analysisPayload } from '../helpers/factories.js';
import { invoiceData } from '../helpers/pdf-payloads.js';
import { eventually, faultyHandler } from '../helpers/faults.js';
import { bootLocalCloud, type ApiClient } from '../helpers/local-cloud.js';
import { JOB_TYPES } from '../../shared/jobs/registry.js';

const analysis = faultyHandler(analysisHandler);
let api: ApiClient;
const scratch = mkdtempSync(join(tmpdir(), 'conveyor-cli-'));

beforeAll(async () => {
  api = await bootLocalCloud({ handlers: { analysis: analysis.handler } });
});

afterAll(async () => {
  await api?.cloud.stop();
});

/**
 * Runs the `conveyor` bin as a user would, against the local cloud booted above. `env` values of
 * `undefined` remove a variable (to let the CLI find the endpoint by itself).
 */
function conveyor(args: string[], env: Record<string, string | undefined> = {}, onStdout?: (soFar: string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const merged: Record<string, string | undefined> = { ...process.env, CONVEYOR_ENDPOINT: api.cloud.apiUrl, CONVEYOR_API_KEY: 'cvk_local_dev', NO_COLOR: '1', ...env };
    const child = spawn(process.execPath, ['cli/conveyor.mjs', ...args], {
      env: Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined)) as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onStdout?.(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// Each command starts a node process with the TypeScript loader: seconds apiece on a busy machine.
describe('E2E: the conveyor CLI against a local cloud', { timeout: 120_000 }, () => {
  let deadJobId: string;

  it('enqueues from a payload file, and the job fails until it is DEAD', async () => {
    // Prepare
    analysis.fault.failing = true;
    const file = join(scratch, 'job.json');
    writeFileSync(file, JSON.stringify(analysisPayload({ toolId: 'cli-1' })));

    // Act
    const enqueued = await conveyor(['enqueue', 'analysis', '--payload', `@${file}`, '--json']);

    // Assess
    expect(enqueued.stderr).toBe('');
    expect(enqueued.code).toBe(0);
    deadJobId = JSON.parse(enqueued.stdout).jobId;
    await api.waitForStatus(deadJobId, ['DEAD'], 30_000);
    await eventually(async () => ((await api.request('GET', '/v1/queues/analysis/dlq')).body.dlq.visible === 1 ? true : undefined), 20_000, 'message in the DLQ');
  });

  it('shows the dead job in `conveyor dlq list` (table and --json) and the DLQ depth in `conveyor queues`', async () => {
    const [table, json, queues] = await Promise.all([conveyor(['dlq', 'list', 'analysis']), conveyor(['dlq', 'list', 'analysis', '--json']), conveyor(['queues'])]);

    expect(table.code).toBe(0);
    expect(table.stdout).toContain('analysis DLQ: 1 message(s), 1 dead job(s)');
    expect(table.stdout).toMatch(new RegExp(`${deadJobId}\\s+dev\\s+3/3\\s+\\S+\\s+INJECTED_FAULT: injected fault`));
    expect(JSON.parse(json.stdout)).toMatchObject({ deadJobs: 1, jobs: [{ jobId: deadJobId, status: 'DEAD', attempt: 3 }] });
    expect(queues.code).toBe(0);
    expect(queues.stdout.split('\n')[0]).toMatch(/^TYPE\s+VISIBLE\s+IN FLIGHT\s+DELAYED\s+DLQ\s+OLDEST\s+LAST 60 MIN/);
    expect(queues.stdout).toMatch(/analysis\s+0\s+0\s+0\s+1\s+-\s+DEAD 1/);
  });

  it('redrives it with `conveyor dlq redrive`, and it ends SUCCEEDED once the fault is removed', async () => {
    // Prepare
    analysis.fault.failing = false;

    // Act
    const redrive = await conveyor(['dlq', 'redrive', 'analysis']);
    const watched = await conveyor(['status', deadJobId, '--watch', '--interval', '100']);

    // Assess
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toMatch(/analysis: redrive task [\w-]+ — 1 dead job\(s\), 1 DLQ message\(s\)/);
    // Not a TTY: each look at the task is a line with its progress bar, ending at 100%.
    expect(redrive.stdout).toMatch(/COMPLETED\s+\[█+\] 100%\s+requeued 1\/1 · moved 1\/1/);
    expect(redrive.stdout).toMatch(/✔ analysis: 1 dead job\(s\) back to QUEUED, 1 message\(s\) moved/);
    const status = await conveyor(['dlq', 'redrive-status', 'analysis', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ type: 'analysis', task: { state: 'COMPLETED', requeued: 1, move: { moved: 1 } } });
    expect(watched.code).toBe(0);
    expect(watched.stdout).toMatch(/status\s+SUCCEEDED/);
    expect(watched.stdout).toMatch(/attempt\s+1\/3/);
    expect(analysis.runs.get(deadJobId)).toBe(4);
    const empty = await conveyor(['dlq', 'list', 'analysis', '--json']);
    expect(JSON.parse(empty.stdout)).toMatchObject({ dlq: { visible: 0 }, deadJobs: 0, jobs: [] });
  });

  it('follows a running job with --watch: progress lines while it runs, then the final state', async () => {
    // Prepare: the job reports 40% and is held RUNNING until the CLI has shown it
    let release!: () => void;
    analysis.fault.failing = false;
    analysis.fault.hold = new Promise<void>((resolve) => (release = resolve));
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'cli-watch' }) } });

    // Act
    const run = conveyor(['status', posted.body.jobId, '--watch', '--interval', '50'], {}, (stdout) => {
      if (/RUNNING\s+\[█{12}░{18}\] {2}40% {2}attempt 1\/3 {2}held by the test/.test(stdout)) release();
    });
    const watched = await run;
    analysis.fault.hold = undefined;

    // Assess
    expect(watched.code).toBe(0);
    const lines = watched.stdout.split('\n');
    const running = lines.findIndex((l) => l.startsWith('RUNNING'));
    const done = lines.findIndex((l) => /^SUCCEEDED\s+\[█{30}\] 100%/.test(l));
    expect(running).toBeGreaterThanOrEqual(0);
    expect(done).toBeGreaterThan(running);
    expect(watched.stdout).toContain(`job ${posted.body.jobId}`);
  });

  it('enqueues with --group-key; status shows the group, and a bad key is refused naming groupKey', async () => {
    // Prepare
    analysis.fault.failing = false;

    // Act
    const enqueued = await conveyor(['enqueue', 'analysis', '--payload', JSON.stringify(analysisPayload({ toolId: 'cli-group' })), '--group-key', 'account-42', '--json']);
    const jobId = JSON.parse(enqueued.stdout).jobId as string;
    await api.waitForStatus(jobId, ['SUCCEEDED']);
    const [shown, refused] = await Promise.all([conveyor(['status', jobId]), conveyor(['enqueue', 'analysis', '--payload', JSON.stringify(analysisPayload()), '--group-key', 'has space'])]);

    // Assess
    expect(enqueued.code).toBe(0);
    expect(shown.stdout).toMatch(/group\s+account-42/);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/\(400 VALIDATION_FAILED\)\n\s+groupKey: groupKey must be 1–128 visible ASCII characters/);
  });

  it('lists jobs with filters as a table and as JSON', async () => {
    const [listed, table] = await Promise.all([conveyor(['jobs', '--status', 'succeeded', '--type', 'analysis', '--json']), conveyor(['jobs', '--limit', '1'])]);

    expect(listed.code).toBe(0);
    const body = JSON.parse(listed.stdout);
    expect(body.jobs.length).toBeGreaterThanOrEqual(2);
    expect(body.jobs.every((j: { status: string; type: string }) => j.status === 'SUCCEEDED' && j.type === 'analysis')).toBe(true);
    expect(table.stdout.split('\n')[0]).toMatch(/^JOB\s+TYPE\s+STATUS\s+PROGRESS\s+ATTEMPT\s+AGE\s+ERROR/);
    expect(table.stdout).toMatch(/more: conveyor jobs --cursor \S+/);
  });

  it('retries a FAILED job by id', async () => {
    // A report on an analysis job that does not exist ends FAILED (ANALYSIS_NOT_FOUND) at once.
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
    await api.waitForStatus(posted.body.jobId, ['FAILED']);

    const retried = await conveyor(['retry', posted.body.jobId]);

    expect(retried.code).toBe(0);
    expect(retried.stdout).toContain(`${posted.body.jobId} is QUEUED again`);
  });

  it('pauses a type with `conveyor queues pause` (shown in `conveyor queues`), and its job runs after `conveyor queues resume`', async () => {
    // Act
    const paused = await conveyor(['queues', 'pause', 'pdf']);
    const shown = await conveyor(['queues']);
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'analysis-report', data: { analysisJobId: '00000000-0000-4000-8000-000000000000' } } } });
    const whilePaused = (await api.request('GET', `/v1/jobs/${posted.body.jobId}`)).body.status;
    const resumed = await conveyor(['queues', 'resume', 'pdf', '--json']);
    const notOperator = await conveyor(['queues', 'pause', 'pdf'], { CONVEYOR_API_KEY: 'cvk_local_other' });
    const unknownType = await conveyor(['queues', 'resume', 'fax']);

    // Assess
    expect(paused.code).toBe(0);
    expect(paused.stdout).toMatch(/pdf paused since \S+ \(by local-dev\): jobs keep queuing and run after `conveyor queues resume pdf`/);
    expect(shown.stdout).toMatch(/pdf PAUSED/);
    expect(shown.stdout).toMatch(/pdf is paused since \S+ \(by local-dev\)/);
    expect(whilePaused).toBe('QUEUED');
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toEqual({ type: 'pdf', paused: false });
    expect((await api.waitForStatus(posted.body.jobId, ['FAILED', 'SUCCEEDED'])).status).toBe('FAILED');
    expect(notOperator.code).toBe(1);
    expect(notOperator.stderr).toContain('(403 FORBIDDEN)');
    expect(notOperator.stderr).toContain('dlq, pause and resume: operator');
    expect(unknownType.code).toBe(1);
    expect(unknownType.stderr).toContain('unknown job type "fax"');
  });

  it('enqueues with --ttl and shows a job that waited too long as EXPIRED (`conveyor status`, `conveyor jobs --status expired`)', async () => {
    // Prepare: nothing runs analysis jobs while it waits.
    analysis.fault.failing = false;
    await conveyor(['queues', 'pause', 'analysis']);
    const enqueued = await conveyor(['enqueue', 'analysis', '--ttl', '1', '--priority', 'high', '--json', '--payload', JSON.stringify(analysisPayload({ toolId: 'cli-ttl' }))]);
    const jobId = JSON.parse(enqueued.stdout).jobId as string;
    const startBy = (await api.request('GET', `/v1/jobs/${jobId}`)).body.startBy as string;
    await eventually(async () => (Date.now() > Date.parse(startBy) ? true : undefined), 10_000, 'start-by time passed');

    // Act
    await conveyor(['queues', 'resume', 'analysis']);
    await api.waitForStatus(jobId, ['EXPIRED', 'SUCCEEDED']);
    const [shown, listed] = await Promise.all([conveyor(['status', jobId]), conveyor(['jobs', '--status', 'expired', '--json'])]);

    // Assess
    expect(enqueued.code).toBe(0);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/status\s+EXPIRED/);
    expect(shown.stdout).toMatch(/priority\s+high/);
    expect(shown.stdout).toContain(`start by ${startBy}`);
    expect(shown.stdout).toMatch(/error\s+EXPIRED: not started by/);
    expect(JSON.parse(listed.stdout).jobs.map((j: { jobId: string }) => j.jobId)).toContain(jobId);
    expect(analysis.runs.has(jobId)).toBe(false);
  });

  it('edits a waiting job with `conveyor edit` (payload, priority, runAt), and refuses a finished one', async () => {
    // Prepare: a job due in ten minutes.
    analysis.fault.failing = false;
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'analysis', delaySeconds: 600, payload: analysisPayload({ toolId: 'cli-edit' }) } });
    const jobId = posted.body.jobId as string;
    const file = join(scratch, 'edited.json');
    writeFileSync(file, JSON.stringify(analysisPayload({ toolId: 'cli-edited' })));

    // Act
    const edited = await conveyor(['edit', jobId, '--payload', `@${file}`, '--priority', 'low', '--run-at', new Date().toISOString()]);
    const done = await api.waitForStatus(jobId, ['SUCCEEDED', 'FAILED', 'DEAD']);
    const [again, nothing] = await Promise.all([conveyor(['edit', jobId, '--priority', 'high']), conveyor(['edit', jobId])]);

    // Assess
    expect(edited.code).toBe(0);
    expect(edited.stdout).toContain(`edited ${jobId}`);
    expect(edited.stdout).toMatch(/priority\s+low/);
    expect(done).toMatchObject({ status: 'SUCCEEDED', priority: 'low', payload: { toolId: 'cli-edited' } });
    expect(analysis.runs.get(jobId)).toBe(1);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('(409 JOB_STARTED)');
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toContain('give --payload, --run-at or --priority');
  });

  it('finds the local cloud by itself: the URL and key npm start wrote into its data dir, else 127.0.0.1:$PORT', async () => {
    // Prepare: no endpoint or key given; one data dir as npm start leaves it, one empty
    const dataDir = join(scratch, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeLocalEndpoint(dataDir, { url: api.cloud.apiUrl, apiKey: api.cloud.apiKey });
    const port = new URL(api.cloud.apiUrl).port;
    const unset = { CONVEYOR_ENDPOINT: undefined, CONVEYOR_API_KEY: undefined };
    await api.request('POST', '/v1/jobs', { body: { type: 'analysis', payload: analysisPayload({ toolId: 'cli-find' }) } });

    // Act
    const [fromDataDir, fromPort] = await Promise.all([
      conveyor(['jobs', '--limit', '1', '--json'], { ...unset, CONVEYOR_DATA_DIR: dataDir }),
      conveyor(['jobs', '--limit', '1', '--json'], { ...unset, CONVEYOR_DATA_DIR: join(scratch, 'no-cloud-here'), PORT: port }),
    ]);

    // Assess
    expect(fromDataDir.code, fromDataDir.stderr).toBe(0);
    expect(JSON.parse(fromDataDir.stdout).jobs).toHaveLength(1);
    expect(fromPort.code, fromPort.stderr).toBe(0);
    expect(JSON.parse(fromPort.stdout).jobs).toHaveLength(1);
  });

  it('enqueues with --delay, --run-at, --callback-url, --idempotency-key and --priority', async () => {
    // Prepare
    const runAt = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const payload = JSON.stringify(analysisPayload({ toolId: 'cli-options' }));

    // Act
    const [delayed, scheduled, keyed, replayed] = await Promise.all([
      conveyor(['enqueue', 'analysis', '--payload', payload, '--delay', '900', '--priority', 'high', '--callback-url', 'http://127.0.0.1:9/hook', '--json']),
      conveyor(['enqueue', 'analysis', '--payload', payload, '--run-at', runAt, '--json']),
      conveyor(['enqueue', 'analysis', '--payload', payload, '--delay', '900', '--idempotency-key', 'cli-key-1']),
      conveyor(['enqueue', 'analysis', '--payload', payload, '--delay', '900', '--idempotency-key', 'cli-key-1']),
    ]);
    const delayedJob = (await api.request('GET', `/v1/jobs/${JSON.parse(delayed.stdout).jobId}`)).body;
    const scheduledJob = (await api.request('GET', `/v1/jobs/${JSON.parse(scheduled.stdout).jobId}`)).body;

    // Assess
    expect([delayed.code, scheduled.code, keyed.code, replayed.code]).toEqual([0, 0, 0, 0]);
    expect(delayedJob).toMatchObject({ status: 'QUEUED', priority: 'high', callbackUrl: 'http://127.0.0.1:9/hook', payload: { toolId: 'cli-options' } });
    expect(Date.parse(delayedJob.runAt)).toBeGreaterThan(Date.now() + 800_000);
    expect(Date.parse(scheduledJob.runAt)).toBe(Date.parse(runAt));
    const ids = [keyed, replayed].map((run) => /enqueued (\S+)/.exec(run.stdout)?.[1]);
    expect(ids[0]).toBeDefined();
    expect(ids[1]).toBe(ids[0]);
    expect([keyed.stdout, replayed.stdout].filter((out) => out.includes('already enqueued'))).toHaveLength(1);
  });

  it('shows a summary in `conveyor status` (result fields, download URL, payload size), the whole job with --json', async () => {
    // Prepare: an invoice PDF, finished
    const posted = await api.request('POST', '/v1/jobs', { body: { type: 'pdf', payload: { kind: 'invoice', data: invoiceData() } } });
    await api.waitForStatus(posted.body.jobId, ['SUCCEEDED'], 60_000);

    // Act
    const [summary, json] = await Promise.all([conveyor(['status', posted.body.jobId]), conveyor(['status', posted.body.jobId, '--json'])]);

    // Assess: the summary names the file and links it, but does not print the payload
    expect(summary.code).toBe(0);
    expect(summary.stdout).toMatch(/result\s+kind=invoice {2}pages=1 {2}file=/);
    expect(summary.stdout).toMatch(/download\s+http:\/\/\S+ {2}\(invoice-\S+\.pdf, [\d.]+ KB, until /);
    expect(summary.stdout).toMatch(/payload\s+[\d.]+ (KB|B) \(--json shows it\)/);
    expect(summary.stdout).not.toContain('Queue hosting (November)');
    const whole = JSON.parse(json.stdout);
    expect(whole.payload.data.items[0].description).toBe('Queue hosting (November)');
    expect(whole.download.contentType).toBe('application/pdf');
  });

  it('enqueues a flow with `conveyor flow`, and `conveyor status` lists the parent\'s children', async () => {
    // Prepare
    const file = join(scratch, 'flow.json');
    writeFileSync(file, JSON.stringify({ type: 'analysis', payload: analysisPayload({ toolId: 'cli-flow' }), children: [{ type: 'analysis', payload: analysisPayload({ toolId: 'cli-flow-1' }) }] }));

    // Act
    const enqueued = await conveyor(['flow', `@${file}`, '--json']);
    const { jobId, children } = JSON.parse(enqueued.stdout) as { jobId: string; children: { jobId: string }[] };
    await api.waitForStatus(jobId, ['SUCCEEDED']);
    const shown = await conveyor(['status', jobId]);

    // Assess
    expect(enqueued.code).toBe(0);
    expect(children).toHaveLength(1);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`children\\s+${children[0]!.jobId} SUCCEEDED`));
  });

  it('exits non-zero with a clear message on every kind of error', async () => {
    // Prepare: a port where nothing listens
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));

    // Act (in parallel: each run starts a node process)
    const [badPayload, notJson, missingFile, unknownType, notAdmin, unreachable, unknownJob, usage] = await Promise.all([
      conveyor(['enqueue', 'analysis', '--payload', '{"toolId":"x","url":"ftp://x","description":"d"}']),
      conveyor(['enqueue', 'analysis', '--payload', '{nope']),
      conveyor(['enqueue', 'analysis', '--payload', '@/no/such/file.json']),
      conveyor(['dlq', 'list', 'fax']),
      conveyor(['queues'], { CONVEYOR_API_KEY: 'cvk_local_other' }),
      conveyor(['queues', '--endpoint', `http://127.0.0.1:${deadPort}`]),
      conveyor(['status', '00000000-0000-4000-8000-000000000000']),
      conveyor(['dlq', 'list']),
    ]);

    // Assess
    expect(badPayload).toMatchObject({ code: 1, stdout: '' });
    expect(badPayload.stderr).toMatch(/error: request does not match the schema \(400 VALIDATION_FAILED\)\n\s+payload\.url: /);
    expect(notJson).toMatchObject({ code: 2 });
    expect(notJson.stderr).toContain('error: --payload: not valid JSON');
    expect(missingFile.code).toBe(2);
    expect(missingFile.stderr).toContain('cannot read /no/such/file.json (ENOENT)');
    expect(unknownType.code).toBe(1);
    expect(unknownType.stderr).toContain(`unknown job type "fax"; the job types are ${JOB_TYPES.join(', ')} (404 NOT_FOUND)`);
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toContain('lacks the "admin" or "operator" scope (403 FORBIDDEN)');
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`cannot reach Conveyor at http://127\\.0\\.0\\.1:${deadPort} \\(ECONNREFUSED\\)`));
    expect(unknownJob.code).toBe(1);
    expect(unknownJob.stderr).toContain('(404 NOT_FOUND)');
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain("missing required argument 'type'");
  });
});
