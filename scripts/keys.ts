/**
 * `npm run keys -- create|list|revoke …` — API keys of a deployed stage (or `--table <name>`), with
 * the usual AWS credentials and region. `create` prints the key once (only its SHA-256 is stored);
 * `list` shows keyIds and owners, never keys; `revoke --key-id` stops a key within
 * REVOCATION_WINDOW_SECONDS. Set AWS_ENDPOINT_URL_DYNAMODB to target a local DynamoDB.
 */
import { pathToFileURL } from 'node:url';
import { Command, InvalidArgumentError } from 'commander';
import { createApiKey, openApiKeyStore, REVOCATION_WINDOW_SECONDS, SCOPES } from '../functions/admin/api-keys.js';

export function keysProgram(write: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Command {
  const program = new Command('keys').description('Manage Conveyor API keys').showHelpAfterError();
  program
    .command('create')
    .description('Issue a new API key for a tenant (printed once, stored hashed)')
    .requiredOption('--tenant <tenant>', 'the tenant the key acts for')
    .option('--scopes <scopes>', `comma-separated: ${SCOPES.join(', ')}`, parseScopes, ['jobs'])
    .option('--key-id <id>', 'a label shown in logs (generated when absent)')
    .option('--stage <stage>', 'the deployed stage whose table stores the key', 'dev')
    .option('--table <name>', 'the table, instead of the stage’s conveyor-<stage>-jobs')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--json', 'print JSON')
    .action(async (options: { tenant: string; scopes: (typeof SCOPES)[number][]; keyId?: string; stage: string; table?: string; region?: string; json?: boolean }) => {
      const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
      if (!region) throw new InvalidArgumentError('no AWS region: pass --region or set AWS_REGION');
      const store = openApiKeyStore({ stage: options.stage, ...(options.table ? { tableName: options.table } : {}) }, { region });
      // The one place an operator key (every tenant) may be issued.
      const issued = await createApiKey(store, { tenant: options.tenant, scopes: options.scopes, ...(options.keyId ? { keyId: options.keyId } : {}) }, { allowOperator: true });
      if (options.json) {
        write(JSON.stringify({ apiKey: issued.apiKey, ...issued.principal, createdAt: issued.createdAt }));
        return;
      }
      write(`API key for tenant "${issued.principal.tenant}" (keyId ${issued.principal.keyId}, scopes ${issued.principal.scopes.join(',')}):`);
      write('');
      write(`  ${issued.apiKey}`);
      write('');
      write('Store it now: it is shown once, and only its SHA-256 is kept.');
    });
  program
    .command('list')
    .description('List the API keys (keyId, tenant, scopes, created, revoked) — never the keys themselves')
    .option('--tenant <tenant>', 'only this tenant’s keys')
    .option('--stage <stage>', 'the deployed stage whose table stores the keys', 'dev')
    .option('--table <name>', 'the table, instead of the stage’s conveyor-<stage>-jobs')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .option('--json', 'print JSON')
    .action(async (options: { tenant?: string; stage: string; table?: string; region?: string; json?: boolean }) => {
      const listed = await storeOf(options).list(options.tenant);
      if (options.json) {
        write(JSON.stringify(listed));
        return;
      }
      if (listed.length === 0) write('No API keys.');
      for (const key of listed) write(`${key.keyId}  tenant=${key.tenant}  scopes=${key.scopes.join(',')}  created=${key.createdAt}${key.revoked ? `  REVOKED ${key.revokedAt ?? ''}` : ''}`);
    });
  program
    .command('revoke')
    .description(`Revoke an API key by its keyId (refused everywhere within ${REVOCATION_WINDOW_SECONDS} s)`)
    .requiredOption('--key-id <id>', 'the key to revoke (npm run keys -- list)')
    .option('--stage <stage>', 'the deployed stage whose table stores the key', 'dev')
    .option('--table <name>', 'the table, instead of the stage’s conveyor-<stage>-jobs')
    .option('--region <region>', 'AWS region (default: AWS_REGION)')
    .action(async (options: { keyId: string; stage: string; table?: string; region?: string }) => {
      const revoked = await storeOf(options).revoke(options.keyId);
      write(`revoked ${revoked.keyId} (tenant "${revoked.tenant}").`);
      write(`Caches may still let it through for up to ${REVOCATION_WINDOW_SECONDS} s: the authorizer's 60 s in memory, then API Gateway's 60 s.`);
    });
  return program;
}

function storeOf(options: { stage: string; table?: string; region?: string }) {
  const region = options.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new InvalidArgumentError('no AWS region: pass --region or set AWS_REGION');
  return openApiKeyStore({ stage: options.stage, ...(options.table ? { tableName: options.table } : {}) }, { region });
}

function parseScopes(value: string): (typeof SCOPES)[number][] {
  const scopes = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) throw new InvalidArgumentError(`scopes must be a comma-separated list of ${SCOPES.join(', ')}`);
  return scopes as (typeof SCOPES)[number][];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  keysProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      process.stderr.write(`keys: ${(error as Error).message}\n`);
      process.exitCode = 1;
    });
}
