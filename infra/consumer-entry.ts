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

/**
 * The module and export building each capability's port (functions/capabilities/), and whether the
 * builder takes the consumer's shared clients and logger (those on the job table or its queues).
 */
const CAPABILITY_PORTS: Readonly<Record<Capability, { readonly module: string; readonly name: string; readonly shared?: true }>> = {
  email: { module: 'functions/capabilities/email.js', name: 'emailPort' },
  blobs: { module: 'functions/capabilities/blobs.js', name: 'blobsPort' },
  model: { module: 'functions/capabilities/model.js', name: 'modelPort' },
  inbox: { module: 'functions/capabilities/inbox.js', name: 'inboxPort', shared: true },
  enqueue: { module: 'functions/capabilities/enqueue.js', name: 'enqueuePort', shared: true },
};

/** The Lambda function name suffix of a type's consumer: `conveyor-<stage>-worker-<type>`. */
export function consumerName(type: string): string {
  return `worker-${type}`;
}

export interface ConsumerEntryOptions {
  /** Capabilities the stage gives this type beyond its `uses` (AI analysis gives `analysis` the model). */
  readonly optionalUses?: readonly Capability[];
}

/** The TypeScript source of a job type's consumer entry. */
export function consumerEntrySource(definition: JobDefinition, options: ConsumerEntryOptions = {}): string {
  const from = (path: string) => JSON.stringify(`../../${path}`);
  const uses = [...definition.settings.uses].sort();
  const optional = [...(options.optionalUses ?? [])].filter((use) => !uses.includes(use)).sort();
  // The limiter serves a provider's limit (e-mail) and each tenant's budget of model replies.
  const limited = (providerLimits as Readonly<Record<string, ProviderLimit | undefined>>)[definition.type] !== undefined || uses.includes('model');
  const ports = (list: readonly Capability[]) => {
    const shared = list.some((use) => CAPABILITY_PORTS[use].shared);
    const built = list.map((use) => ` ${use}: await ${CAPABILITY_PORTS[use].name}(config${CAPABILITY_PORTS[use].shared ? ', clients, logger' : ''})`);
    return `async (${shared ? 'clients, logger' : ''}) => ({${built.join(',')}${list.length ? ' ' : ''}})`;
  };
  const lines = [
    `// Consumer of "${definition.type}" jobs, generated from the job registry by infra/consumer-entry.ts. Do not edit.`,
    `import { parseConfig } from ${from('shared/config/env.js')};`,
    `import handlerModule from ${from(`functions/jobs/${definition.type}/handler.js`)};`,
    ...[...uses, ...optional].map((use) => `import { ${CAPABILITY_PORTS[use].name} } from ${from(CAPABILITY_PORTS[use].module)};`),
    ...(limited ? [`import { loadConsumerRateLimiter } from ${from('functions/roots/consumer-rate-limit.js')};`] : []),
    `import { startConsumer } from ${from('functions/roots/consumer.js')};`,
    '',
    'const config = parseConfig(process.env);',
    'export const handler = await startConsumer(handlerModule, config, {',
    `  capabilities: ${ports(uses)},`,
    ...(optional.length ? [`  optional: ${ports(optional)},`] : []),
    ...(limited ? ['  loadLimiter: loadConsumerRateLimiter,'] : []),
    '});',
    '',
  ];
  return lines.join('\n');
}

/**
 * Writes a type's consumer entry and returns its path. Written only when it changed, and by rename,
 * so parallel synths (tests) never read a half-written file.
 */
export function writeConsumerEntry(definition: JobDefinition, options: ConsumerEntryOptions & { readonly dir?: string } = {}): string {
  const dir = options.dir ?? GENERATED_ENTRY_DIR;
  // A stage that adds capabilities gets a file of its own: stages synthesised side by side never share one.
  const extra = [...(options.optionalUses ?? [])].sort().join('+');
  const path = join(dir, `${consumerName(definition.type)}${extra ? `+${extra}` : ''}.ts`);
  const source = consumerEntrySource(definition, options);
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
