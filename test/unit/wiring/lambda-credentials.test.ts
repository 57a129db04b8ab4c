import { afterEach, describe, expect, it } from 'vitest';
import { credentialsTreatedAsExpired, defaultProvider } from '../../../functions/adapters/aws/lambda-credentials.js';

const VARIABLES = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION'] as const;
const saved = Object.fromEntries(VARIABLES.map((name) => [name, process.env[name]]));

afterEach(() => {
  for (const name of VARIABLES) {
    if (saved[name] === undefined) delete process.env[name];
    else process.env[name] = saved[name];
  }
});

describe('Function: defaultProvider (the Lambda bundles\' credential chain)', () => {
  it('resolves the execution role credentials Lambda puts in the environment, session token included', async () => {
    // Prepare
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'session' });

    // Act
    const credentials = await defaultProvider()();

    // Assess
    expect(credentials).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' });
  });

  it('fails clearly, without trying other sources, when the environment has no credentials', async () => {
    // Prepare
    for (const name of VARIABLES) delete process.env[name];

    // Act
    const resolving = defaultProvider()();

    // Assess
    await expect(resolving).rejects.toThrow(/environment variable credentials/i);
  });

  it('treats credentials within 5 minutes of expiry as expired, as the SDK chain does', () => {
    expect(credentialsTreatedAsExpired({ accessKeyId: 'a', secretAccessKey: 's', expiration: new Date(Date.now() + 60_000) })).toBe(true);
    expect(credentialsTreatedAsExpired({ accessKeyId: 'a', secretAccessKey: 's', expiration: new Date(Date.now() + 3_600_000) })).toBe(false);
    expect(credentialsTreatedAsExpired({ accessKeyId: 'a', secretAccessKey: 's' })).toBe(false);
  });
});
