import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaEsbuildOptions } from '../../../infra/bundling.js';
import { writeConsumerEntries } from '../../../infra/consumer-entry.js';
import { jobDefinitions } from '../../../shared/jobs/registry.js';

/**
 * Each Lambda entry (functions/entry/*.ts and every job type's generated consumer entry) bundled as the CDK bundles it (infra/bundling.ts), checking what it carries, not
 * how big it is (sizes move with every SDK release; `npm run bench -- --sections bundle` reports
 * them): a function must not bundle the SDK clients and libraries only other functions use.
 */
const ENTRY_DIR = fileURLToPath(new URL('../../../functions/entry/', import.meta.url));

/** Packages (and our own heavy modules) and the functions allowed to carry them. */
const ONLY_IN: Record<string, readonly string[]> = {
  // Every consumer reads payloads stored apart and stores large results (functions/job-data/).
  'functions/adapters/aws/s3-object-client.ts': ['api', ...jobDefinitions.map((definition) => `worker-${definition.type}`)],
  'functions/adapters/aws/ses-email-client.ts': ['worker-email'],
  // The API holds jobs; the recovery sweep re-creates the schedule of one whose enqueue died.
  '@aws-sdk/client-scheduler': ['api', 'sweep'],
  // Pausing a job type switches its event source mappings.
  'functions/adapters/aws/lambda-mappings-client.ts': ['api'],
  // Rate limits: the API (enqueues per tenant), e-mail (SES's rate), ai (chat replies per tenant).
  'functions/adapters/upstash/upstash-rate-limiter.ts': ['api', 'worker-email', 'worker-ai'],
  // Secrets read at cold start: the Upstash credentials (rate-limiting functions), the webhook signing key (its consumer).
  '@aws-sdk/client-secrets-manager': ['api', 'worker-email', 'worker-ai', 'webhook-worker'],
  // The text model: the ai consumer, and the analysis consumer when a stage turns AI analysis on.
  'functions/adapters/aws/bedrock-converse-client.ts': ['worker-ai', 'worker-analysis'],
  'pdf-lib': ['worker-pdf'],
  hono: ['api'],
  // The job registry (every type's payload schema and e-mail templates) goes only where a job is validated
  // for enqueue: the API, the scheduler target (recurring schedules enqueue through the API's path) and
  // the notification consumer (it enqueues e-mail the same way). A consumer sending a message without
  // validating (a flow's parent, a release) routes by the record and the queue map (messageOf), so it
  // carries its own type's module only.
  'shared/jobs/registry.ts': ['api', 'scheduler-target', 'worker-notification'],
  'shared/jobs/email-templates/': ['api', 'scheduler-target', 'worker-notification', 'worker-email'],
  'shared/jobs/pdf.ts': ['api', 'scheduler-target', 'worker-notification', 'worker-pdf'],
};

const inputs = new Map<string, string[]>();

beforeAll(async () => {
  const entries: [string, string][] = [
    ...readdirSync(ENTRY_DIR).filter((f) => f.endsWith('.ts')).map((file): [string, string] => [basename(file, '.ts'), `${ENTRY_DIR}${file}`]),
    ...writeConsumerEntries(jobDefinitions),
  ];
  for (const [name, path] of entries) {
    const result = await build({ ...lambdaEsbuildOptions(path, `/virtual/${name}.mjs`), metafile: true, write: false, sourcemap: false, logLevel: 'silent' });
    const output = Object.values((result.metafile as Metafile).outputs).find((o) => o.entryPoint);
    inputs.set(name, Object.entries(output?.inputs ?? {}).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path));
  }
}, 120_000);

/** The SDK's credential sources Lambda never reaches (functions/adapters/aws/lambda-credentials.ts). */
const NEVER = ['@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-web-identity', '@aws-sdk/nested-clients'];
/**
 * Libraries no function needs: the rate limiter speaks Upstash's REST API itself (one EVALSHA); S3's
 * four object calls, Lambda's UpdateEventSourceMapping, SES's SendEmail and Bedrock's Converse go
 * through small clients on the SDK's signer (s3-object-client.ts, lambda-mappings-client.ts,
 * ses-email-client.ts, bedrock-converse-client.ts), not the SDK clients, their S3-only middleware and
 * Bedrock's event-stream and bearer-token chain.
 */
const NOT_BUNDLED = ['@upstash/redis', '@aws-sdk/client-s3', '@aws-sdk/s3-request-presigner', '@aws-sdk/middleware-sdk-s3', '@aws-sdk/xml-builder', '@aws-sdk/client-lambda', '@aws-sdk/client-sesv2', '@aws-sdk/client-bedrock-runtime', '@aws-sdk/eventstream-handler-node', '@aws-sdk/token-providers'];

describe('Lambda bundles: each function carries only what it uses', () => {
  it('no function bundles the credential sources beyond the environment', () => {
    // Prepare
    const found = [...inputs].flatMap(([entry, paths]) => NEVER.filter((module) => paths.some((p) => p.includes(`node_modules/${module}/`))).map((module) => `${entry}: ${module}`));

    // Assess: the environment provider is there instead
    expect(found).toEqual([]);
    for (const [entry, paths] of inputs) expect(paths.some((p) => p.includes('node_modules/@aws-sdk/credential-provider-env/')), entry).toBe(true);
  });


  it('no function bundles a Redis client library, nor the SDK\'s S3, Lambda, SES or Bedrock Runtime clients', () => {
    // Assess
    const found = [...inputs].flatMap(([entry, paths]) => NOT_BUNDLED.filter((module) => paths.some((p) => p.includes(`node_modules/${module}/`))).map((module) => `${entry}: ${module}`));
    expect(found).toEqual([]);
  });

  it('every function carries Powertools Logger; none carries the tracer unless its stage traces', async () => {
    // Prepare: the API as a traced stage bundles it
    const traced = await build({ ...lambdaEsbuildOptions(`${ENTRY_DIR}api.ts`, '/virtual/api-traced.mjs', { tracing: true }), metafile: true, write: false, sourcemap: false, logLevel: 'silent' });
    const tracedInputs = Object.entries(Object.values((traced.metafile as Metafile).outputs)[0]!.inputs).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path);
    const carries = (paths: readonly string[], module: string) => paths.some((p) => p.includes(`node_modules/${module}/`));

    // Assess
    for (const [entry, paths] of inputs) {
      expect(carries(paths, '@aws-lambda-powertools/logger'), entry).toBe(true);
      expect(carries(paths, '@aws-lambda-powertools/tracer') || carries(paths, 'aws-xray-sdk-core'), entry).toBe(false);
    }
    expect(carries(tracedInputs, '@aws-lambda-powertools/tracer') && carries(tracedInputs, 'aws-xray-sdk-core')).toBe(true);
  });

  it.each(Object.entries(ONLY_IN))('%s is bundled only into %j', (module, allowed) => {
    // Prepare
    const carriers = [...inputs].filter(([, paths]) => paths.some((p) => p.includes(module))).map(([entry]) => entry);

    // Assess: every allowed function that uses it has it, no other function does
    expect(inputs.size).toBeGreaterThanOrEqual(4 + jobDefinitions.length);
    expect(carriers.filter((entry) => !allowed.includes(entry))).toEqual([]);
    expect(carriers.length).toBeGreaterThan(0);
  });
});
