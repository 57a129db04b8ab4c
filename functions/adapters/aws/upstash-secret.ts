import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import type { ConveyorConfig } from '../../../shared/config/env.js';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import type { UpstashCredentials } from '../upstash/upstash-rate-limiter.js';
import { createSecretsClient, describeSecret, readSecretString, type SecretSource } from './secrets-manager.js';

/**
 * The Upstash Redis credentials from Secrets Manager: the secret (named in CONVEYOR_UPSTASH_SECRET,
 * created by the operator) holds `{"url": "https://….upstash.io", "token": "…"}`. Read once per cold
 * start by the functions that rate-limit (functions/roots/rate-limits.ts); only they import this
 * module, so no other function bundles the Secrets Manager client.
 * The read itself (and its errors) is functions/adapters/aws/secrets-manager.ts; this adds the shape.
 */
const field = (what: string) => ({ error: (issue: { input?: unknown }) => (issue.input === undefined ? 'missing' : `must be ${what}`) });
const upstashSecretSchema = z.object({
  url: z.url({ protocol: /^https?$/, ...field('an http(s) URL') }),
  token: z.string(field('a string')).min(1, 'must not be empty'),
});

const EXPECTED = 'expected JSON {"url": "https://….upstash.io", "token": "…"}';
const SOURCE: SecretSource = { variable: 'CONVEYOR_UPSTASH_SECRET', readmeSection: 'Upstash', expected: EXPECTED };

export async function readUpstashSecret(client: SecretsManagerClient, secretId: string): Promise<UpstashCredentials> {
  const where = describeSecret(SOURCE, secretId);
  const text = await readSecretString(client, secretId, SOURCE);
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
  return (secretId) => readUpstashSecret(createSecretsClient(config), secretId);
}
