import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient, SecretsManagerServiceException } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/env.js';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { JsonLogger } from '../../../shared/logging/logger.js';
import { readUpstashSecret, upstashSecretReader } from '../../../functions/adapters/aws/upstash-secret.js';
import { loadRateLimiter } from '../../../functions/roots/rate-limits.js';

const SECRET = 'conveyor/prod/upstash';
const TOKEN = 'AX-secret-token-never-logged';
const secretsMock = mockClient(SecretsManagerClient);

/** An SDK service error as the client throws it (name, $fault, $metadata). */
function serviceError(name: string, message: string): SecretsManagerServiceException {
  return new SecretsManagerServiceException({ name, message, $fault: 'client', $metadata: { httpStatusCode: 400 } });
}

/** The error `readUpstashSecret` throws for the secret as mocked (fails the test if it resolves). */
async function readError(): Promise<Error> {
  const error = await readUpstashSecret(new SecretsManagerClient({ region: 'us-east-1' }), SECRET).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error('readUpstashSecret resolved; expected it to throw');
  return error;
}

function captureLogger() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: new JsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

const baseEnv = { CONVEYOR_TABLE_NAME: 't', CONVEYOR_QUEUE_URLS: '{}', CONVEYOR_STAGE: 'prod' };

afterEach(() => {
  secretsMock.reset();
});

describe('Function: readUpstashSecret', () => {
  it('returns the url and token of a well-formed secret, asking for the configured secret id', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: JSON.stringify({ url: 'https://eu1-x.upstash.io', token: TOKEN }) });

    // Act
    const credentials = await readUpstashSecret(new SecretsManagerClient({ region: 'us-east-1' }), SECRET);

    // Assess
    expect(credentials).toEqual({ url: 'https://eu1-x.upstash.io', token: TOKEN });
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('says the secret does not exist when Secrets Manager has no such secret', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await readError();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`CONVEYOR_UPSTASH_SECRET: secret "${SECRET}" does not exist — create it (docs/deploying.md: Upstash) (ResourceNotFoundException)`);
  });

  it('names the missing permission when access is denied', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).rejects(serviceError('AccessDeniedException', 'User is not authorized to perform: secretsmanager:GetSecretValue'));

    // Act
    const error = await readError();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`secret "${SECRET}" cannot be read — the function's role needs secretsmanager:GetSecretValue on it`);
  });

  it('refuses a value that is not JSON, without echoing it', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: `url=https://x.upstash.io token=${TOKEN}` });

    // Act
    const error = await readError();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`CONVEYOR_UPSTASH_SECRET: secret "${SECRET}" is not JSON; expected JSON {"url": "https://….upstash.io", "token": "…"}`);
    expect(error.message).not.toContain(TOKEN);
  });

  it.each([
    [{ url: 'https://x.upstash.io' }, 'token: missing'],
    [{ token: TOKEN }, 'url: missing'],
    [{ url: 'redis://x.upstash.io:6379', token: TOKEN }, 'url: must be an http(s) URL'],
    [{ url: 'https://x.upstash.io', token: '' }, 'token: must not be empty'],
    [{ url: 'https://x.upstash.io', token: 42 }, 'token: must be a string'],
  ])('names the field at fault in %j', async (value, expected) => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(value) });

    // Act
    const error = await readError();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain(`secret "${SECRET}" — ${expected}`);
    expect(error.message).not.toContain(TOKEN);
  });

  it('refuses a binary secret', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1, 2, 3]) });

    // Act
    const error = await readError();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('has no SecretString');
  });

  it('reports an unanswered call (throttling) as the dependency being unavailable, not as bad configuration', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).rejects(serviceError('ThrottlingException', 'Rate exceeded'));

    // Act
    const error = await readError();

    // Assess
    expect(error).toBeInstanceOf(DependencyUnavailableError);
    expect((error as DependencyUnavailableError).dependency).toBe('secretsmanager');
    expect(error.message).toContain('Rate exceeded');
  });
});

describe('Function: loadRateLimiter', () => {
  it('reads the configured secret once and turns limits on, logging where the credentials came from but not the token', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET }).resolves({ SecretString: JSON.stringify({ url: 'https://eu1-x.upstash.io', token: TOKEN }) });
    const config = parseConfig({ ...baseEnv, CONVEYOR_UPSTASH_SECRET: SECRET, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:1', UPSTASH_REDIS_REST_TOKEN: 'local' });
    const { lines, logger } = captureLogger();

    // Act
    const limiter = await loadRateLimiter(config, logger, upstashSecretReader(config));

    // Assess: the secret wins over the plain variables
    expect(limiter.enabled).toBe(true);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'INFO', rateLimits: 'on', message: expect.stringMatching(/^rate limits ON — Upstash Redis at https:\/\/eu1-x\.upstash\.io \(from Secrets Manager secret "conveyor\/prod\/upstash"\)/) });
    expect(JSON.stringify(lines)).not.toContain(TOKEN);
  });

  it('fails the cold start when the configured secret is unusable', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: '{"url":"https://x.upstash.io"}' });
    const config = parseConfig({ ...baseEnv, CONVEYOR_UPSTASH_SECRET: SECRET });

    // Act
    const loading = loadRateLimiter(config, captureLogger().logger, upstashSecretReader(config));

    // Assess
    await expect(loading).rejects.toThrow(ConfigurationError);
    await expect(loading).rejects.toThrow('token: missing');
  });

  it('uses the plain variables when no secret is configured, without calling Secrets Manager', async () => {
    // Prepare
    const config = parseConfig({ ...baseEnv, UPSTASH_REDIS_REST_URL: 'http://127.0.0.1:8079', UPSTASH_REDIS_REST_TOKEN: 'local' });
    const { lines, logger } = captureLogger();

    // Act
    const limiter = await loadRateLimiter(config, logger, upstashSecretReader(config));

    // Assess
    expect(limiter.enabled).toBe(true);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(lines[0]).toMatchObject({ level: 'INFO', message: expect.stringContaining('(from UPSTASH_REDIS_REST_URL / _TOKEN)') });
  });

  it('turns limits off with a warning when nothing is configured', async () => {
    // Prepare
    const config = parseConfig(baseEnv);
    const { lines, logger } = captureLogger();

    // Act
    const limiter = await loadRateLimiter(config, logger, upstashSecretReader(config));

    // Assess
    expect(limiter.enabled).toBe(false);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
    expect(lines).toEqual([expect.objectContaining({ level: 'WARN', rateLimits: 'off', message: expect.stringContaining('rate limits OFF') })]);
  });
});
