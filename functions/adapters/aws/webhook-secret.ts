import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ConveyorConfig } from '../../../shared/config/env.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import { createSecretsClient, describeSecret, readSecretString, type SecretSource } from './secrets-manager.js';

/** Shorter keys make HMAC signatures guessable; the stack generates 48 characters. */
export const MIN_SIGNING_KEY_LENGTH = 16;

const SOURCE: SecretSource = {
  variable: 'CONVEYOR_WEBHOOK_SECRET_ID',
  readmeSection: 'Completion webhooks',
  expected: `expected the signing key as a plain string of at least ${MIN_SIGNING_KEY_LENGTH} characters`,
};

/**
 * The webhook signing key from the Secrets Manager secret the stack generates (plain string). Read
 * once per cold start by the webhook consumer only, so the key is in no function's configuration.
 */
export async function readWebhookSigningKey(client: SecretsManagerClient, secretId: string): Promise<string> {
  const key = await readSecretString(client, secretId, SOURCE);
  if (key.length < MIN_SIGNING_KEY_LENGTH) throw new ConfigurationError(`${describeSecret(SOURCE, secretId)} is too short; ${SOURCE.expected}`);
  return key;
}

export function webhookSecretReader(config: ConveyorConfig): (secretId: string) => Promise<string> {
  return (secretId) => readWebhookSigningKey(createSecretsClient(config), secretId);
}
