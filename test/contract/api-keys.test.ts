import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../functions/admin/api-keys.js';
import { createDynamoClient } from '../../functions/adapters/aws/clients.js';
import { DynamoApiKeyAdmin } from '../../functions/adapters/aws/dynamo-api-key-admin.js';
import { DynamoApiKeys, hashApiKey } from '../../functions/adapters/aws/dynamo-api-keys.js';
import { createApiKeyAuthorizer } from '../../functions/auth/api-key-authorizer.js';
import { startDynamo, type LocalService } from '../../local/dynamodb.js';
import { ensureTable } from '../../local/provision.js';
import { keys as tableKeys } from '../../shared/config/table.js';
import { ConfigurationError } from '../../shared/domain/errors.js';
import { silentLogger } from '../../shared/logging/logger.js';
import { keysProgram } from '../../scripts/keys.js';

const TABLE = 'conveyor-test-jobs';
let dynamo: LocalService;
let client: ReturnType<typeof createDynamoClient>;

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
  dynamo = await startDynamo();
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint });
  await ensureTable(raw, TABLE);
  raw.destroy();
  client = createDynamoClient({ region: 'us-east-1', endpoints: { dynamodb: dynamo.endpoint } });
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
});

/** A fresh store each time: DynamoApiKeys caches answers for a minute. */
const store = () => new DynamoApiKeys({ client, tableName: TABLE });
const admin = () => new DynamoApiKeyAdmin({ client, tableName: TABLE });
const authorizer = () => createApiKeyAuthorizer({ keys: store(), logger: silentLogger });
const request = (authorization?: string) => ({ headers: authorization === undefined ? {} : { authorization }, requestContext: { requestId: 'r-1' } });

describe('Function: createApiKey', () => {
  it('returns the key once and stores only its SHA-256', async () => {
    // Act
    const issued = await createApiKey(admin(), { tenant: 'acme', scopes: ['jobs', 'jobs', 'admin'] });

    // Assess
    expect(issued.apiKey).toMatch(/^cvk_[A-Za-z0-9_-]{43}$/);
    expect(issued.principal).toMatchObject({ tenant: 'acme', scopes: ['jobs', 'admin'] });
    const stored = await client.send(new GetCommand({ TableName: TABLE, Key: tableKeys.apiKey(hashApiKey(issued.apiKey)) }));
    expect(stored.Item).toMatchObject({ tenant: 'acme', keyId: issued.principal.keyId });
    expect(JSON.stringify(stored.Item)).not.toContain(issued.apiKey);
  });

  it('refuses a bad tenant or scope, naming the field, and stores nothing', async () => {
    // Prepare
    const puts: unknown[] = [];
    const recording = { put: async (...args: unknown[]) => void puts.push(args) };

    // Act / Assess
    await expect(createApiKey(recording, { tenant: 'acme corp', scopes: ['jobs'] })).rejects.toThrow(/tenant: tenant must be/);
    await expect(createApiKey(recording, { tenant: 'acme', scopes: [] })).rejects.toThrow(ConfigurationError);
    await expect(createApiKey(recording, { tenant: 'acme', scopes: ['root' as 'jobs'] })).rejects.toThrow(/scopes\.0/);
    expect(puts).toEqual([]);
  });
});

describe('Function: createApiKeyAuthorizer', () => {
  it('authorises a stored key and passes its tenant, key id and scopes on', async () => {
    // Prepare
    const issued = await createApiKey(admin(), { tenant: 'acme', scopes: ['jobs'], keyId: 'ci-key' });

    // Act
    const result = await authorizer()(request(`Bearer ${issued.apiKey}`));

    // Assess
    expect(result).toEqual({ isAuthorized: true, context: { tenant: 'acme', keyId: 'ci-key', scopes: 'jobs' } });
  });

  it('refuses a missing, malformed, unknown or revoked key', async () => {
    // Prepare
    const issued = await createApiKey(admin(), { tenant: 'acme', scopes: ['jobs'] });
    await client.send(new UpdateCommand({ TableName: TABLE, Key: tableKeys.apiKey(hashApiKey(issued.apiKey)), UpdateExpression: 'SET revoked = :t', ExpressionAttributeValues: { ':t': true } }));

    // Act
    const results = await Promise.all([undefined, 'Basic abc', `Bearer cvk_${'x'.repeat(43)}`, `Bearer ${issued.apiKey}`].map((header) => authorizer()(request(header))));

    // Assess
    expect(results).toEqual([{ isAuthorized: false }, { isAuthorized: false }, { isAuthorized: false }, { isAuthorized: false }]);
  });

  it('throws (API Gateway answers 500 and caches nothing) when the table cannot be read; a missing table is a configuration fault', async () => {
    // Prepare: a store pointed at a table that does not exist.
    const broken = createApiKeyAuthorizer({ keys: new DynamoApiKeys({ client, tableName: 'no-such-table' }), logger: silentLogger });

    // Act / Assess
    await expect(broken(request('Bearer cvk_whatever'))).rejects.toBeInstanceOf(ConfigurationError);
  });
});

describe('CLI: npm run keys -- create', () => {
  it('issues a key into the named table that the authorizer then accepts', async () => {
    // Prepare
    const lines: string[] = [];
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;

    // Act
    try {
      await keysProgram((line) => lines.push(line)).parseAsync(['create', '--tenant', 'globex', '--scopes', 'jobs,admin', '--table', TABLE, '--region', 'us-east-1', '--json'], { from: 'user' });
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
    }

    // Assess
    const issued = JSON.parse(lines.join('')) as { apiKey: string; tenant: string; scopes: string[] };
    expect(issued).toMatchObject({ tenant: 'globex', scopes: ['jobs', 'admin'] });
    expect(await authorizer()(request(`Bearer ${issued.apiKey}`))).toMatchObject({ isAuthorized: true, context: { tenant: 'globex', scopes: 'jobs,admin' } });
  });

  it('rejects an unknown scope before touching AWS', async () => {
    // Prepare
    const program = keysProgram(() => undefined).exitOverride();
    program.commands.forEach((command) => command.exitOverride().configureOutput({ writeErr: () => undefined }));

    // Act / Assess
    await expect(program.parseAsync(['create', '--tenant', 'acme', '--scopes', 'jobs,root', '--region', 'us-east-1'], { from: 'user' })).rejects.toThrow(/scopes must be/);
  });
});

describe('Commands: keys list and revoke', () => {
  /** Runs `npm run keys -- <args>` against the local table; returns what it printed. */
  async function keys(...args: string[]): Promise<string[]> {
    const lines: string[] = [];
    const previous = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.endpoint;
    try {
      await keysProgram((line) => lines.push(line)).parseAsync([...args, '--table', TABLE, '--region', 'us-east-1'], { from: 'user' });
    } finally {
      if (previous === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = previous;
    }
    return lines;
  }

  it('lists the keys of a tenant without their secrets, and revokes one by its keyId', async () => {
    // Prepare
    const first = JSON.parse((await keys('create', '--tenant', 'initech', '--key-id', 'initech-ci', '--json')).join('')) as { apiKey: string };
    const second = JSON.parse((await keys('create', '--tenant', 'initech', '--key-id', 'initech-ops', '--scopes', 'jobs,admin', '--json')).join('')) as { apiKey: string };

    // Act
    const listed = JSON.parse((await keys('list', '--tenant', 'initech', '--json')).join('')) as { keyId: string; tenant: string; scopes: string[]; revoked: boolean }[];
    const revoked = await keys('revoke', '--key-id', 'initech-ci');
    const after = JSON.parse((await keys('list', '--tenant', 'initech', '--json')).join('')) as { keyId: string; revoked: boolean }[];

    // Assess
    expect(listed.map((k) => [k.keyId, k.tenant, k.scopes, k.revoked])).toEqual([
      ['initech-ci', 'initech', ['jobs'], false],
      ['initech-ops', 'initech', ['jobs', 'admin'], false],
    ]);
    expect(JSON.stringify(listed)).not.toContain(first.apiKey.slice(4, 20));
    expect(revoked.join('\n')).toMatch(/revoked.*initech-ci[\s\S]*120 s/);
    expect(after.map((k) => [k.keyId, k.revoked])).toEqual([['initech-ci', true], ['initech-ops', false]]);
    // A fresh authorizer (no warm cache) refuses the revoked key and still takes the other.
    expect(await authorizer()(request(`Bearer ${first.apiKey}`))).toEqual({ isAuthorized: false });
    expect(await authorizer()(request(`Bearer ${second.apiKey}`))).toMatchObject({ isAuthorized: true });
  });

  it('refuses a second key under a keyId already taken; storing the same key again is harmless', async () => {
    // Prepare
    await createApiKey(admin(), { tenant: 'hooli', scopes: ['jobs'], keyId: 'hooli-ci' });

    // Act / Assess
    await expect(createApiKey(admin(), { tenant: 'hooli', scopes: ['jobs'], keyId: 'hooli-ci' })).rejects.toThrow(/keyId "hooli-ci" already exists/);
    await admin().put('cvk_fixed-local-key', { tenant: 'local', keyId: 'local-fixed', scopes: ['jobs'] });
    await expect(admin().put('cvk_fixed-local-key', { tenant: 'local', keyId: 'local-fixed', scopes: ['jobs'] })).resolves.toBeUndefined();
    expect((await admin().list('hooli')).map((k) => k.keyId)).toEqual(['hooli-ci']);
  });

  it('refuses to revoke a keyId it does not know, by name', async () => {
    // Act / Assess
    await expect(keys('revoke', '--key-id', 'nobody-s-key')).rejects.toThrow(/nobody-s-key/);
  });
});
