import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { ConveyorConfig } from '../../../shared/config/env.js';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { UpstashCredentials } from '../upstash/upstash-rate-limiter.js';

/**
 * The Upstash Redis credentials from Secrets Manager: the secret (named in CONVEYOR_UPSTASH_SECRET,
 * created by the operator) holds `{"url": "https://….upstash.io", "token": "…"}`. Read once per cold
 * start by the functions that rate-limit (functions/roots/rate-limits.ts); only they import this
 * module, so no other function bundles the Secrets Manager client.
 *
 * Every way the secret can be wrong is a ConfigurationError naming the secret and what is wrong with
 * it, never its token. Only an unanswered call (throttling, network) is a DependencyUnavailableError.
 */
const field = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'missing' : `must be ${what}`) });
const upstashSecretSchema = z.object({
  url: z.url({ protocol: /^https?$/, ...field('an http(s) URL') }),
  token: z.string(field('a string')).min(1, 'must not be empty'),
});

const EXPECTED = 'expected JSON {"url": "https://….upstash.io", "token": "…"}';

/** Secrets Manager's answers that mean the configuration is wrong, and what to do about each. */
const CONFIGURATION_FAULTS: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'does not exist — create it (README: Deploying to AWS, Upstash)',
  AccessDeniedException: "cannot be read — the function's role needs secretsmanager:GetSecretValue on it",
  DecryptionFailure: "cannot be decrypted — the function's role needs kms:Decrypt on the secret's key",
  InvalidRequestException: 'cannot be read now (is it scheduled for deletion?)',
};

export async function readUpstashSecret(client: SecretsManagerClient, secretId: string): Promise<UpstashCredentials> {
  const where = `CONVEYOR_UPSTASH_SECRET: secret "${secretId}"`;
  let text: string | undefined;
  try {
    text = (await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    const fault = CONFIGURATION_FAULTS[name];
    if (fault) throw new ConfigurationError(`${where} ${fault} (${name})`);
    throw new DependencyUnavailableError('secretsmanager', `${where} could not be read — ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (text === undefined) throw new ConfigurationError(`${where} has no SecretString (a binary secret?); ${EXPECTED}`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`${where} is not JSON; ${EXPECTED}`);
  }
  const parsed = upstashSecretSchema.safeParse(json);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ');
    throw new ConfigurationError(`${where} — ${detail}; ${EXPECTED}`);
  }
  return parsed.data;
}

/**
 * The reader the rate-limiting entries pass to loadRateLimiter. The client is built only when a
 * secret is configured, i.e. on AWS: locally the credentials come from plain variables.
 */
export function upstashSecretReader(config: ConveyorConfig): (secretId: string) => Promise<UpstashCredentials> {
  return (secretId) => readUpstashSecret(new SecretsManagerClient({ region: config.AWS_REGION, maxAttempts: 3 }), secretId);
}
