import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { ConveyorConfig } from '../../../shared/config/env.js';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { traced } from './tracing.js';

/**
 * Secrets a function reads once per cold start (the Upstash credentials, the webhook signing key).
 * Only the entries that need one import this module, so no other function bundles the Secrets
 * Manager client. Locally the same values come from plain variables and nothing here runs.
 */

/** Which variable named the secret, where the docs say how to create it, and its expected value. */
export interface SecretSource {
  readonly variable: string;
  readonly readmeSection: string;
  /** Appended to errors about the value, e.g. `expected JSON {"url": …}`. */
  readonly expected?: string;
}

/** Secrets Manager's answers that mean the configuration is wrong, and what to do about each. */
const CONFIGURATION_FAULTS: Readonly<Record<string, (source: SecretSource) => string>> = {
  ResourceNotFoundException: (source) => `does not exist — create it (docs/deploying.md: ${source.readmeSection})`,
  AccessDeniedException: () => "cannot be read — the function's role needs secretsmanager:GetSecretValue on it",
  DecryptionFailure: () => "cannot be decrypted — the function's role needs kms:Decrypt on the secret's key",
  InvalidRequestException: () => 'cannot be read now (is it scheduled for deletion?)',
};

/** "CONVEYOR_X: secret "name"" — how every error about a secret starts (never with its value). */
export function describeSecret(source: SecretSource, secretId: string): string {
  return `${source.variable}: secret "${secretId}"`;
}

/**
 * The secret's string value. Every way the secret can be wrong is a ConfigurationError naming the
 * variable and the secret (never its value); only an unanswered call (throttling, network) is a
 * DependencyUnavailableError.
 */
export async function readSecretString(client: SecretsManagerClient, secretId: string, source: SecretSource): Promise<string> {
  const where = describeSecret(source, secretId);
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const fault = CONFIGURATION_FAULTS[name];
    if (fault) throw new ConfigurationError(`${where} ${fault(source)} (${name})`);
    throw new DependencyUnavailableError('secretsmanager', `${where} could not be read — ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (text === undefined) throw new ConfigurationError(`${where} has no SecretString (a binary secret?)${source.expected ? `; ${source.expected}` : ''}`);
  return text;
}

/** A Secrets Manager client for the cold-start reads, in the function's region. */
export function createSecretsClient(config: ConveyorConfig): SecretsManagerClient {
  return traced(new SecretsManagerClient({ region: config.AWS_REGION, maxAttempts: 3 }));
}
