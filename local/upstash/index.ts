import { RedisUnavailableError } from './redis-process.js';
import { startUpstashServer, type UpstashServer } from './server.js';

export type { UpstashServer } from './server.js';

/**
 * Starts the local Upstash endpoint, or explains why not: a machine without redis-server still
 * gets a working local cloud, with rate limits off.
 */
export async function tryStartUpstash(): Promise<{ server: UpstashServer } | { server?: undefined; reason: string }> {
  try {
    return { server: await startUpstashServer() };
  } catch (error) {
    if (error instanceof RedisUnavailableError) return { reason: error.message };
    throw error;
  }
}
