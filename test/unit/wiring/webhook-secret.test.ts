import { GetSecretValueCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { readWebhookSigningKey, webhookSecretReader } from '../../../functions/adapters/aws/webhook-secret.js';
import { loadWebhookSigningKey } from '../../../functions/roots/webhook-worker.js';
import { parseConfig } from '../../../shared/config/env.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:conveyor/prod/webhook-signing-secret-AbCdEf';
const KEY = 'k'.repeat(48);
const secretsMock = mockClient(SecretsManagerClient);
const baseEnv = { CONVEYOR_TABLE_NAME: 't', CONVEYOR_QUEUE_URLS: '{}', CONVEYOR_STAGE: 'prod' };

afterEach(() => {
  secretsMock.reset();
});

async function failureOf(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  if (!error) throw new Error('resolved; expected it to throw');
  return error;
}

describe('Function: readWebhookSigningKey', () => {
  it('returns the plain-string key of the secret it was told to read', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: KEY });

    // Act
    const key = await readWebhookSigningKey(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN);

    // Assess
    expect(key).toBe(KEY);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it('refuses a key too short to sign with, without printing it', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).resolves({ SecretString: 'short-key' });

    // Act
    const error = await failureOf(readWebhookSigningKey(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`CONVEYOR_WEBHOOK_SECRET_ID: secret "${SECRET_ARN}" is too short; expected the signing key as a plain string of at least 16 characters`);
    expect(error.message).not.toContain('short-key');
  });

  it('names the variable and the docs section when the secret does not exist', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand).rejects(new ResourceNotFoundException({ message: "Secrets Manager can't find the specified secret.", $metadata: {} }));

    // Act
    const error = await failureOf(readWebhookSigningKey(new SecretsManagerClient({ region: 'eu-west-1' }), SECRET_ARN));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(`CONVEYOR_WEBHOOK_SECRET_ID: secret "${SECRET_ARN}" does not exist — create it (docs/deploying.md: Completion webhooks) (ResourceNotFoundException)`);
  });
});

describe('Function: loadWebhookSigningKey', () => {
  it('reads the secret named in CONVEYOR_WEBHOOK_SECRET_ID (as on AWS)', async () => {
    // Prepare
    secretsMock.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({ SecretString: KEY });
    const config = parseConfig({ ...baseEnv, AWS_REGION: 'eu-west-1', CONVEYOR_WEBHOOK_SECRET_ID: SECRET_ARN });

    // Act
    const key = await loadWebhookSigningKey(config, webhookSecretReader(config));

    // Assess
    expect(key).toBe(KEY);
  });

  it('uses a plain CONVEYOR_WEBHOOK_SECRET (as locally) without calling Secrets Manager', async () => {
    // Prepare
    const config = parseConfig({ ...baseEnv, CONVEYOR_WEBHOOK_SECRET: KEY, CONVEYOR_WEBHOOK_SECRET_ID: SECRET_ARN });

    // Act
    const key = await loadWebhookSigningKey(config, webhookSecretReader(config));

    // Assess
    expect(key).toBe(KEY);
    expect(secretsMock.commandCalls(GetSecretValueCommand)).toHaveLength(0);
  });

  it('fails the cold start when neither is set: the consumer cannot sign', async () => {
    // Prepare
    const config = parseConfig(baseEnv);

    // Act
    const error = await failureOf(loadWebhookSigningKey(config, webhookSecretReader(config)));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('CONVEYOR_WEBHOOK_SECRET or CONVEYOR_WEBHOOK_SECRET_ID is required');
  });
});
