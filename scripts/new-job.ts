/**
 * `npm run new-job -- <type>`: scaffolds a working job type — its definition, its handler, a unit test
 * of the handler — and registers both (the registry and the handler map). The consumer Lambda, the
 * queues, alarms and the local poller follow from the registry; nothing else is written by hand.
 *
 * Refuses (exit 2, one line, nothing written) a name that is not a valid job type or is taken.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobTypeName } from '../shared/jobs/define.js';
import { JOB_TYPES } from '../shared/jobs/registry.js';
import { localEndpoint } from '../local/endpoint-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Queue names beside the job types' own (`conveyor-<stage>-<name>`): the webhook queue. */
const OTHER_QUEUES = ['webhooks'];
/** The queues a type gets: its queue, its DLQ and, with priorities, two lanes. */
const queueSuffixes = (name: string) => [name, `${name}-dlq`, `${name}-high`, `${name}-low`];

class Refusal extends Error {}

export interface Scaffold {
  readonly type: string;
  /** Path (relative to the repository) → new content, for every file written or changed. */
  readonly files: ReadonlyMap<string, { readonly content: string; readonly created: boolean; readonly why: string }>;
  readonly samplePayload: Record<string, unknown>;
}

/** Everything the command would write, computed without writing; throws Refusal with the reason. */
export function planScaffold(type: string, root = ROOT, registered: readonly string[] = JOB_TYPES): Scaffold {
  const name = jobTypeName.safeParse(type);
  if (!name.success) throw new Refusal(`"${type}" is not a valid job type name: ${name.error.issues[0]?.message ?? 'invalid'}`);
  if (registered.includes(type)) throw new Refusal(`"${type}" is taken: it is already a registered job type`);
  const clash = [...registered, ...OTHER_QUEUES].find((other) => queueSuffixes(other).some((queue) => queueSuffixes(type).includes(queue)));
  if (clash) throw new Refusal(`"${type}" is taken: its queues would share names with those of "${clash}"`);
  const paths = { definition: `shared/jobs/${type}.ts`, handler: `functions/jobs/${type}/handler.ts`, test: `test/unit/jobs/${type}.test.ts` };
  for (const path of [...Object.values(paths), `functions/jobs/${type}`]) {
    if (existsSync(join(root, path))) throw new Refusal(`"${type}" is taken: ${path} already exists`);
  }

  const camel = type.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const pascal = camel[0]!.toUpperCase() + camel.slice(1);
  const key = /^[a-z][a-z0-9]*$/.test(type) ? type : `'${type}'`;
  const samplePayload = { text: 'Hello from Conveyor', steps: 3 };

  const registryPath = 'shared/jobs/registry.ts';
  const registry = insertEntry(
    readFileSync(join(root, registryPath), 'utf8'),
    registryPath,
    { after: /^import \{ \w+Job \} from '\.\/[\w-]+\.js';$/m, line: `import { ${camel}Job } from './${type}.js';` },
    { block: /export const jobRegistry = \{\n/, end: /^\} as const;$/m, line: `  ${key}: ${camel}Job,` },
  );
  const mapPath = 'functions/jobs/index.ts';
  const map = insertEntry(
    readFileSync(join(root, mapPath), 'utf8'),
    mapPath,
    { after: /^import \w+ from '\.\/[\w-]+\/handler\.js';$/m, line: `import ${camel}Handler from './${type}/handler.js';` },
    { block: /export const jobHandlers = \{\n/, end: /^\} as const satisfies/m, line: `  ${key}: ${camel}Handler,` },
  );

  const files = new Map<string, { content: string; created: boolean; why: string }>([
    [paths.definition, { content: definitionSource(type, camel, pascal), created: true, why: 'definition: payload schema and settings (edit)' }],
    [paths.handler, { content: handlerSource(type, camel, pascal), created: true, why: 'handler (edit)' }],
    [paths.test, { content: testSource(type, camel, pascal), created: true, why: 'unit test of the handler' }],
    [registryPath, { content: registry, created: false, why: 'registered in the job registry' }],
    [mapPath, { content: map, created: false, why: 'registered in the handler map' }],
  ]);
  return { type, files, samplePayload };
}

/** Adds an import after the last matching one and an entry as the last line of an object literal. */
function insertEntry(
  source: string,
  path: string,
  importAt: { after: RegExp; line: string },
  entryAt: { block: RegExp; end: RegExp; line: string },
): string {
  const imports = [...source.matchAll(new RegExp(importAt.after.source, 'gm'))];
  const lastImport = imports.at(-1);
  const block = entryAt.block.exec(source);
  if (!lastImport || !block) throw new Refusal(`cannot find where to register the type in ${path}; add it there by hand`);
  const end = new RegExp(entryAt.end.source, 'gm');
  end.lastIndex = block.index + block[0].length;
  const close = end.exec(source);
  if (!close) throw new Refusal(`cannot find the end of the object in ${path}; add the type there by hand`);
  const importEnd = lastImport.index + lastImport[0].length;
  return `${source.slice(0, importEnd)}\n${importAt.line}${source.slice(importEnd, close.index)}${entryAt.line}\n${source.slice(close.index)}`;
}

function definitionSource(type: string, camel: string, pascal: string): string {
  return `import * as z from 'zod';
import { defineJob } from './define.js';

/** The payload of a "${type}" job, as the API validates it and the handler receives it. */
export type ${pascal}Payload = z.output<typeof ${camel}Job.payload>;

/**
 * "${type}" jobs. The payload schema is checked at enqueue (a wrong field is a 400 naming it); the
 * settings drive the queue, the consumer Lambda, retries and alarms (shared/jobs/define.ts).
 */
export const ${camel}Job = defineJob({
  type: '${type}',
  description: 'Counts the words of a text, one step at a time (scaffolded: describe your job here)',
  payload: z
    .object({
      /** The text to work on. */
      text: z.string().min(1).max(10_000),
      /** How many steps the handler takes, reporting progress after each. */
      steps: z.number().int().min(1).max(20).default(3),
    })
    .strict(),
  // Every setting is optional; these are the defaults. What each one does: shared/jobs/define.ts.
  settings: {
    timeoutSeconds: 30,
    memoryMb: 256,
    batchSize: 10,
    maxConcurrency: 5,
    maxAttempts: 3,
    backoff: { baseSeconds: 2, maxSeconds: 300 },
    claim: 'lazy',
    uses: [],
    // true: a job may be enqueued with priority low | normal | high, each with its own queue.
    priorities: false,
    // Also dead, cancelled and expired (a job not started by its ttlSeconds); unset, they follow failed or succeeded.
    retentionDays: { succeeded: 7, failed: 30 },
    // 'fifo': jobs with the same groupKey run one at a time, in enqueue order (no delays, batches ≤ 10).
    ordering: 'standard',
  },
});
`;
}

function handlerSource(type: string, camel: string, pascal: string): string {
  return `import { PermanentJobError } from '../../../shared/domain/errors.js';
import { ${camel}Job, type ${pascal}Payload } from '../../../shared/jobs/${type}.js';
import type { JobContext } from '../../worker/context.js';
import { defineHandler } from '../define-handler.js';

export interface ${pascal}Result {
  readonly words: number;
  readonly steps: number;
}

/** Milliseconds each step takes: long enough to watch the progress rise. */
const STEP_MS = 100;

/**
 * Runs one "${type}" job. \`create\` gets the ports of the capabilities the definition lists in
 * \`uses\` (none yet) and returns the function that runs a job: throw \`PermanentJobError\` when
 * retrying cannot help, anything else to retry with backoff; return the job's result.
 */
export default defineHandler(${camel}Job, () => async (payload: ${pascal}Payload, context: JobContext): Promise<${pascal}Result> => {
  // A rule the schema does not express: permanent, so the job ends FAILED at once, with no retry.
  if (payload.text.trim() === '') throw new PermanentJobError('text is only whitespace; there are no words to count', 'BLANK_TEXT');
  const words = payload.text.trim().split(/\\s+/).length;
  for (let step = 1; step <= payload.steps; step += 1) {
    await pause(STEP_MS, context.signal);
    await context.progress(Math.round((step / payload.steps) * 100), \`step \${step} of \${payload.steps}\`);
  }
  return { words, steps: payload.steps };
});

/** Waits, or stops at once with the signal's reason (the job timed out or was cancelled). */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
`;
}

function testSource(type: string, camel: string, _pascal: string): string {
  return `import { describe, expect, it } from 'vitest';
import ${camel}Handler from '../../../functions/jobs/${type}/handler.js';
import { JobCancelledError, PermanentJobError } from '../../../shared/domain/errors.js';
import { ${camel}Job } from '../../../shared/jobs/${type}.js';
import { jobContext, memoryPorts } from '../../helpers/handler-harness.js';

describe('Handler: ${type}', () => {
  const run = ${camel}Handler.create(memoryPorts());

  it('counts the words and reports progress after each step', async () => {
    // Prepare
    const context = jobContext({ type: '${type}' });
    const payload = ${camel}Job.payload.parse({ text: 'one two  three', steps: 2 });

    // Act
    const result = await run(payload, context);

    // Assess
    expect(result).toEqual({ words: 3, steps: 2 });
    expect(context.progress.mock.calls.map(([percent]) => percent)).toEqual([50, 100]);
  });

  it('fails permanently on a text of whitespace only', async () => {
    // Prepare
    const payload = ${camel}Job.payload.parse({ text: '   ' });

    // Act / Assess
    await expect(run(payload, jobContext())).rejects.toBeInstanceOf(PermanentJobError);
  });

  it('stops at once when its signal aborts', async () => {
    // Prepare: cancel the job when it reports its first step
    const context = jobContext();
    context.progress.mockImplementationOnce(async () => context.abort(new JobCancelledError()));
    const payload = ${camel}Job.payload.parse({ text: 'a b c', steps: 5 });

    // Act / Assess
    await expect(run(payload, context)).rejects.toBeInstanceOf(JobCancelledError);
    expect(context.progress).toHaveBeenCalledTimes(1);
  });
});
`;
}

/** Writes a plan: directories first, then every file (only after the whole plan was computed). */
export function writeScaffold(plan: Scaffold, root = ROOT): void {
  for (const [path, { content }] of plan.files) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
}

function main(argv: readonly string[]): number {
  const [type, ...rest] = argv;
  if (!type || rest.length > 0 || type.startsWith('-')) {
    console.error('usage: npm run new-job -- <type>   (lowercase letters, digits and inner hyphens, e.g. thumbnail or daily-brief)');
    return 2;
  }
  let plan: Scaffold;
  try {
    plan = planScaffold(type);
  } catch (error) {
    if (error instanceof Refusal) {
      console.error(`new-job: ${error.message}`);
      return 2;
    }
    throw error;
  }
  writeScaffold(plan);
  // The contract lists every type's payload: regenerate it in a fresh process, which loads the new registry.
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'scripts/openapi.ts'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    console.error(`new-job: the type is written, but regenerating openapi.json failed (run npm run openapi to see why): ${(error as Error).message.split('\n')[0]}`);
    return 1;
  }
  const { url, apiKey } = localEndpoint();
  const width = Math.max(...[...plan.files.keys()].map((p) => p.length));
  console.log(`New job type "${type}":`);
  for (const [path, { created, why }] of plan.files) console.log(`  ${created ? 'wrote  ' : 'updated'}  ${path.padEnd(width)}  ${why}`);
  console.log(`  ${'updated'}  ${'openapi.json'.padEnd(width)}  regenerated (npm run openapi): the contract now has its payload`);
  const body = JSON.stringify({ type, payload: plan.samplePayload });
  console.log(`
Check it:       npm run typecheck && npx vitest run test/unit/jobs/${type}.test.ts
Run it:         (re)start npm start, which creates its queue, DLQ and poller, then
  curl -s -X POST ${url}/v1/jobs -H "authorization: Bearer ${apiKey}" -H 'content-type: application/json' -d '${body}'
Deploy it:      npm run synth adds its queue, DLQ, consumer, alarms and dashboard row.`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) process.exitCode = main(process.argv.slice(2));
