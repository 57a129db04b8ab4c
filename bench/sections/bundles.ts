import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateRawSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { lambdaEsbuildOptions } from '../../infra/bundling.js';
import { writeConsumerEntries } from '../../infra/consumer-entry.js';
import { jobDefinitions } from '../../shared/jobs/registry.js';
import { median } from '../lib/stats.js';

export interface BundleResult {
  readonly entry: string;
  readonly bundleBytes: number;
  readonly sourceMapBytes: number;
  /** What the deployment zip holds, deflated (bundle + source map). */
  readonly zippedBytes: number;
  readonly initMs: number;
  readonly bareMs: number;
  /** Median time of a fresh node importing an empty ES module the same way: the ESM loader's own share. */
  readonly emptyEsmMs: number;
  /** What weighs most in the minified bundle (esbuild metafile), by npm package or top-level folder. */
  readonly heaviest: readonly { readonly name: string; readonly kb: number }[];
  /** Why importing the bundle failed, when it did (a finding, not a crash of the bench). */
  readonly initError?: string;
  /** The same function bundled for a traced stage (Powertools Tracer + aws-xray-sdk-core inside). */
  readonly tracedBundleBytes: number;
  readonly tracedZippedBytes: number;
  /** Its init with CONVEYOR_TRACING=on: the tracer imported and built at cold start. */
  readonly tracedInitMs: number;
}

export interface BundlesResult {
  readonly runs: number;
  readonly bareNodeMs: number;
  readonly emptyEsmMs: number;
  readonly functions: readonly BundleResult[];
}

const ENTRY_DIR = fileURLToPath(new URL('../../functions/entry/', import.meta.url));

/** The environment a deployed function gets (enough for the config parser at import time). */
const LAMBDA_ENV = {
  CONVEYOR_STAGE: 'bench',
  CONVEYOR_TABLE_NAME: 'conveyor-bench-jobs',
  CONVEYOR_QUEUE_URLS: JSON.stringify({ analysis: 'https://sqs.us-east-1.amazonaws.com/000000000000/conveyor-bench-analysis', email: 'https://sqs.us-east-1.amazonaws.com/000000000000/conveyor-bench-email', pdf: 'https://sqs.us-east-1.amazonaws.com/000000000000/conveyor-bench-pdf' }),
  CONVEYOR_JOB_TYPE: 'analysis',
  CONVEYOR_EMAIL_FROM: 'Conveyor <no-reply@example.com>',
  CONVEYOR_BUCKET_NAME: 'conveyor-bench-artifacts',
  // The webhook consumer refuses to start without its queue and signing secret.
  CONVEYOR_WEBHOOK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/conveyor-bench-webhooks',
  CONVEYOR_WEBHOOK_SECRET: 'bench-webhook-signing-secret',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  LOG_LEVEL: 'error',
};

/**
 * Each function entry bundled with the CDK's settings (infra/bundling.ts); its size, and the time
 * a fresh Node process takes to import it (module load + module-scope wiring: the cold init)
 * against a bare `node -e 0`, medians of `runs` alternating runs.
 */
export async function measureBundles(options: { runs: number; log: (line: string) => void }): Promise<BundlesResult> {
  const out = mkdtempSync(join(tmpdir(), 'conveyor-bench-bundles-'));
  try {
    // The fixed entries and each job type's consumer entry, generated from the registry as the CDK does.
    const entries = [
      ...readdirSync(ENTRY_DIR).filter((f) => f.endsWith('.ts')).map((file): [string, string] => [basename(file, '.ts'), join(ENTRY_DIR, file)]),
      ...writeConsumerEntries(jobDefinitions),
    ].sort(([a], [b]) => a.localeCompare(b));
    const bundles: { entry: string; file: string; tracedFile: string; heaviest: BundleResult['heaviest'] }[] = [];
    for (const [entry, path] of entries) {
      const outfile = join(out, entry, 'index.mjs');
      const tracedFile = join(out, `${entry}-traced`, 'index.mjs');
      const { metafile } = await build({ ...lambdaEsbuildOptions(path, outfile), metafile: true });
      await build(lambdaEsbuildOptions(path, tracedFile, { tracing: true }));
      bundles.push({ entry, file: outfile, tracedFile, heaviest: heaviestParts(metafile) });
    }
    // Importing any ES module starts Node's ESM loader, which `node -e 0` never does: an empty module
    // imported the same way shows how much of "init" that alone is.
    const emptyModule = join(out, 'empty.mjs');
    writeFileSync(emptyModule, '');
    const emptyEsm: number[] = [];
    const bare: number[] = [];
    const init = new Map<string, number[]>(bundles.map((b) => [b.entry, []]));
    const tracedInit = new Map<string, number[]>(bundles.map((b) => [b.entry, []]));
    const errors = new Map<string, string>();
    for (let run = 0; run < options.runs; run++) {
      bare.push(timeNode(['-e', '0']));
      emptyEsm.push(timeNode(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(emptyModule).href)});`]));
      for (const bundle of bundles) {
        if (errors.has(bundle.entry)) continue;
        const script = `await import(${JSON.stringify(pathToFileURL(bundle.file).href)});`;
        try {
          init.get(bundle.entry)?.push(timeNode(['--input-type=module', '-e', script]));
          const tracedScript = `await import(${JSON.stringify(pathToFileURL(bundle.tracedFile).href)});`;
          tracedInit.get(bundle.entry)?.push(timeNode(['--input-type=module', '-e', tracedScript], { CONVEYOR_TRACING: 'on' }));
        } catch (error) {
          errors.set(bundle.entry, (error as Error).message);
          options.log(`bundles: ${bundle.entry} failed to import: ${(error as Error).message.slice(-300)}`);
        }
      }
    }
    const bareMs = median(bare);
    const emptyEsmMs = median(emptyEsm);
    options.log(`bundles: bare node ${bareMs.toFixed(0)} ms, empty ES module ${emptyEsmMs.toFixed(0)} ms`);
    return {
      runs: options.runs,
      bareNodeMs: bareMs,
      emptyEsmMs,
      functions: bundles.map(({ entry, file, tracedFile, heaviest }) => {
        const code = readFileSync(file);
        const map = readFileSync(`${file}.map`);
        const tracedCode = readFileSync(tracedFile);
        return {
          entry,
          bundleBytes: statSync(file).size,
          sourceMapBytes: map.length,
          zippedBytes: deflateRawSync(code).length + deflateRawSync(map).length,
          initMs: errors.has(entry) ? Number.NaN : median(init.get(entry) ?? []),
          bareMs,
          emptyEsmMs,
          heaviest,
          tracedBundleBytes: tracedCode.length,
          tracedZippedBytes: deflateRawSync(tracedCode).length + deflateRawSync(readFileSync(`${tracedFile}.map`)).length,
          tracedInitMs: errors.has(entry) ? Number.NaN : median(tracedInit.get(entry) ?? []),
          ...(errors.has(entry) ? { initError: lastLine(errors.get(entry) ?? '') } : {}),
        };
      }),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The parts of a bundle by output bytes: npm packages by name, our code by top-level folder. */
function heaviestParts(metafile: Metafile, count = 5): BundleResult['heaviest'] {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint);
  const bytes = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
    bytes.set(name, (bytes.get(name) ?? 0) + input.bytesInOutput);
  }
  return [...bytes].sort((a, b) => b[1] - a[1]).slice(0, count).map(([name, b]) => ({ name, kb: Math.round(b / 1024) }));
}

function lastLine(message: string): string {
  const lines = message.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('at ') && !l.startsWith('Node.js'));
  return (lines.at(-1) ?? message).slice(0, 200);
}

/** Wall time of one fresh `node` process, ms; throws if it fails (an import error is a finding). */
function timeNode(args: string[], env: Record<string, string> = {}): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { env: { ...LAMBDA_ENV, ...env, PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ').slice(0, 120)} failed (${result.status}): ${result.stderr.slice(0, 500)}`);
  return ms;
}
