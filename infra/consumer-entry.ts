import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Capability, JobDefinition } from '../shared/jobs/define.js';
import { providerLimits, type ProviderLimit } from '../shared/jobs/rate-limits.js';

/*
 * Why consumer entries are generated: one generic entry choosing its type at run time would have to
 * import every type's handler, and esbuild would bundle them all (pdf-lib into the email consumer,
 * SES into the PDF one). So each consumer's entry is written from the registry at synth (and by the
 * bundle test and the bench): a few lines that import only its own handler module, the ports of the
 * capabilities its definition declares, and the rate limiter only if its provider has a limit. The
 * typed work is in functions/roots/consumer.ts (`startConsumer`); nothing here is written by hand.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Where the generated entries go: inside the repository (stable source-map paths), ignored by git. */
export const GENERATED_ENTRY_DIR = join(ROOT, '.conveyor', 'entries');

/** The module and export building each capability's port (functions/capabilities/). */
const CAPABILITY_PORTS: Readonly<Record<Capability, { readonly module: string; readonly name: string }>> = {
  email: { module: 'functions/capabilities/email.js', name: 'emailPort' },
  blobs: { module: 'functions/capabilities/blobs.js', name: 'blobsPort' },
};

/** The Lambda function name suffix of a type's consumer: `conveyor-<stage>-worker-<type>`. */
export function consumerName(type: string): string {
  return `worker-${type}`;
}

/** The TypeScript source of a job type's consumer entry. */
export function consumerEntrySource(definition: JobDefinition): string {
  const from = (path: string) => JSON.stringify(`../../${path}`);
  const uses = [...definition.settings.uses].sort();
  const limited = (providerLimits as Readonly<Record<string, ProviderLimit | undefined>>)[definition.type] !== undefined;
  const lines = [
    `// Consumer of "${definition.type}" jobs, generated from the job registry by infra/consumer-entry.ts. Do not edit.`,
    `import { parseConfig } from ${from('shared/config/env.js')};`,
    `import handlerModule from ${from(`functions/jobs/${definition.type}/handler.js`)};`,
    ...uses.map((use) => `import { ${CAPABILITY_PORTS[use].name} } from ${from(CAPABILITY_PORTS[use].module)};`),
    ...(limited ? [`import { loadConsumerRateLimiter } from ${from('functions/roots/consumer-rate-limit.js')};`] : []),
    `import { startConsumer } from ${from('functions/roots/consumer.js')};`,
    '',
    'const config = parseConfig(process.env);',
    `export const handler = await startConsumer(handlerModule, config, {${uses.map((use) => ` ${use}: ${CAPABILITY_PORTS[use].name}(config)`).join(',')}${uses.length ? ' ' : ''}}${limited ? ', loadConsumerRateLimiter' : ''});`,
    '',
  ];
  return lines.join('\n');
}

/**
 * Writes a type's consumer entry and returns its path. Written only when it changed, and by rename,
 * so parallel synths (tests) never read a half-written file.
 */
export function writeConsumerEntry(definition: JobDefinition, dir = GENERATED_ENTRY_DIR): string {
  const path = join(dir, `${consumerName(definition.type)}.ts`);
  const source = consumerEntrySource(definition);
  let current: string | undefined;
  try {
    current = readFileSync(path, 'utf8');
  } catch {
    current = undefined;
  }
  if (current !== source) {
    mkdirSync(dir, { recursive: true });
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temporary, source);
    renameSync(temporary, path);
  }
  return path;
}

/** Every registered type's consumer entry, written: `[name, path]` (for the bundle test and the bench). */
export function writeConsumerEntries(definitions: readonly JobDefinition[]): [name: string, path: string][] {
  return definitions.map((definition) => [consumerName(definition.type), writeConsumerEntry(definition)]);
}

/** For messages: the entry's path relative to the repository. */
export function repositoryPath(path: string): string {
  return relative(ROOT, path);
}
