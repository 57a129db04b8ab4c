import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { RedisUnavailableError } from './redis-process.js';
import { startUpstashServer, newUpstashToken, type UpstashServer } from './server.js';

export type { UpstashServer } from './server.js';

/**
 * Starts the local Upstash endpoint, or explains why not: a machine without redis-server still
 * gets a working local cloud, with rate limits off.
 */
export async function tryStartUpstash(options: { port?: number; tokenFile?: string } = {}): Promise<{ server: UpstashServer } | { server?: undefined; reason: string }> {
  try {
    return { server: await startUpstashServer({ ...(options.port ? { port: options.port } : {}), ...(options.tokenFile ? { token: stableToken(options.tokenFile) } : {}) }) };
  } catch (error) {
    if (error instanceof RedisUnavailableError) return { reason: error.message };
    throw error;
  }
}

/** The token kept in the data dir, so a client configured with it keeps working after a restart. */
function stableToken(path: string): string {
  if (existsSync(path)) {
    const saved = readFileSync(path, 'utf8').trim();
    if (saved) return saved;
  }
  const token = newUpstashToken();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}
