import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { lambdaEsbuildOptions } from '../../../infra/bundling.js';

/**
 * Each Lambda entry bundled as the CDK bundles it (infra/bundling.ts), checking what it carries, not
 * how big it is (sizes move with every SDK release; `npm run bench -- --sections bundle` reports
 * them): a function must not bundle the SDK clients and libraries only other functions use.
 */
const ENTRY_DIR = fileURLToPath(new URL('../../../functions/entry/', import.meta.url));

/** Packages (and our own heavy modules) and the functions allowed to carry them. */
const ONLY_IN: Record<string, readonly string[]> = {
  '@aws-sdk/client-s3': ['api', 'worker-pdf'],
  '@aws-sdk/client-sesv2': ['worker-email'],
  '@aws-sdk/client-scheduler': ['api'],
  // Pausing a job type switches its event source mappings.
  '@aws-sdk/client-lambda': ['api'],
  '@upstash/redis': ['api', 'worker-email'],
  // Secrets read at cold start: the Upstash credentials (rate-limiting functions), the webhook signing key (its consumer).
  '@aws-sdk/client-secrets-manager': ['api', 'worker-email', 'webhook-worker'],
  'pdf-lib': ['worker-pdf'],
  hono: ['api'],
  'shared/jobs/email-templates/': ['api', 'scheduler-target', 'worker-email'],
  'shared/jobs/pdf.ts': ['api', 'scheduler-target', 'worker-pdf'],
};

const inputs = new Map<string, string[]>();

beforeAll(async () => {
  for (const file of readdirSync(ENTRY_DIR).filter((f) => f.endsWith('.ts'))) {
    const result = await build({ ...lambdaEsbuildOptions(`${ENTRY_DIR}${file}`, `/virtual/${file}.mjs`), metafile: true, write: false, sourcemap: false, logLevel: 'silent' });
    const output = Object.values((result.metafile as Metafile).outputs).find((o) => o.entryPoint);
    inputs.set(basename(file, '.ts'), Object.entries(output?.inputs ?? {}).filter(([, i]) => i.bytesInOutput > 0).map(([path]) => path));
  }
}, 120_000);

/** The SDK's credential sources Lambda never reaches (functions/adapters/aws/lambda-credentials.ts). */
const NEVER = ['@aws-sdk/credential-provider-node', '@aws-sdk/credential-provider-sso', '@aws-sdk/credential-provider-ini', '@aws-sdk/credential-provider-web-identity', '@aws-sdk/nested-clients'];

describe('Lambda bundles: each function carries only what it uses', () => {
  it('no function bundles the credential sources beyond the environment', () => {
    // Prepare
    const found = [...inputs].flatMap(([entry, paths]) => NEVER.filter((module) => paths.some((p) => p.includes(`node_modules/${module}/`))).map((module) => `${entry}: ${module}`));

    // Assess: the environment provider is there instead
    expect(found).toEqual([]);
    for (const [entry, paths] of inputs) expect(paths.some((p) => p.includes('node_modules/@aws-sdk/credential-provider-env/')), entry).toBe(true);
  });


  it.each(Object.entries(ONLY_IN))('%s is bundled only into %j', (module, allowed) => {
    // Prepare
    const carriers = [...inputs].filter(([, paths]) => paths.some((p) => p.includes(module))).map(([entry]) => entry);

    // Assess: every allowed function that uses it has it, no other function does
    expect(inputs.size).toBeGreaterThanOrEqual(7);
    expect(carriers.filter((entry) => !allowed.includes(entry))).toEqual([]);
    expect(carriers.length).toBeGreaterThan(0);
  });
});
