import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles only: infra/bundling.ts
 * aliases that package to this file, for the CDK and for `npm run bench`. Code that is not bundled
 * (the local cloud, tests, scripts, the CLI) keeps the SDK's full default chain.
 *
 * Why: Lambda hands every function its execution role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the environment is the first source the default
 * chain tries, so on Lambda the rest of it — SSO, shared INI files, credential_process, web identity,
 * container/EC2 metadata and the STS/SSO clients they carry — is never reached, yet it was about
 * 130 KB of every function's 360–500 KB (measured with esbuild's metafile, `npm run bench -- --sections bundle`).
 * Without those variables the SDK fails its first call with "Unable to find environment variable
 * credentials" instead of trying the other sources.
 */
type CredentialProvider = ReturnType<typeof fromEnv>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}): CredentialProvider => fromEnv(init);

// The package's two other exports, with its semantics (5-minute refresh window), so the alias is a drop-in.
export const credentialsWillNeedRefresh = (credentials?: Credentials): boolean => credentials?.expiration !== undefined;
export const credentialsTreatedAsExpired = (credentials?: Credentials): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
