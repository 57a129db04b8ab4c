/**
 * Stands in for `@aws-sdk/token-providers` in the Lambda bundles only (infra/bundling.ts aliases
 * it, as it does the credential chain in lambda-credentials.ts). The Bedrock Runtime client offers
 * bearer-token auth (Bedrock API keys) besides SigV4, and its default token chain carries the SSO
 * token sources and their clients. A Conveyor function signs with its execution role (SigV4, the
 * first scheme the client tries), so no token source is ever reached; this keeps the chain's shape
 * and reports, if asked, that no token is available.
 */
type TokenProvider = () => Promise<{ token: string }>;

function noToken(source: string): TokenProvider {
  return () => Promise.reject(Object.assign(new Error(`${source}: Conveyor functions sign with their execution role (SigV4), not a bearer token`), { name: 'TokenProviderError', tryNextLink: true }));
}

export const fromEnvSigningName = (_init: { signingName?: string } = {}): TokenProvider => noToken('fromEnvSigningName');
export const nodeProvider = (_init: object = {}): TokenProvider => noToken('nodeProvider');
export const fromSso = (_init: object = {}): TokenProvider => noToken('fromSso');
export const fromStatic = ({ token }: { token: { token: string } }): TokenProvider => () => Promise.resolve(token);
