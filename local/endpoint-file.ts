import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where a running `npm start` can be found: it writes its API URL and development key into its data
 * dir, and the CLI (and `npm run new-job`'s hint) read them when no endpoint is given — so a local
 * cloud started on another PORT is still found.
 */
export interface LocalEndpoint {
  readonly url: string;
  readonly apiKey: string;
}

const FILE = 'endpoint.json';
/** The key `npm start` creates (local/cloud.ts LOCAL_API_KEYS). */
const DEV_KEY = 'cvk_local_dev';

/** The data dir `npm start` uses: CONVEYOR_DATA_DIR, else `.data` in the working directory. */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.CONVEYOR_DATA_DIR ?? '.data');
}

export function writeLocalEndpoint(dataDir: string, endpoint: LocalEndpoint): void {
  writeFileSync(join(dataDir, FILE), `${JSON.stringify(endpoint, null, 2)}\n`);
}

export function removeLocalEndpoint(dataDir: string): void {
  rmSync(join(dataDir, FILE), { force: true });
}

/** The running local cloud's endpoint, else where `npm start` would listen (127.0.0.1:PORT, default 3000). */
export function localEndpoint(env: NodeJS.ProcessEnv = process.env): LocalEndpoint & { readonly found: boolean } {
  try {
    const saved = JSON.parse(readFileSync(join(localDataDir(env), FILE), 'utf8')) as Partial<LocalEndpoint>;
    if (typeof saved.url === 'string' && typeof saved.apiKey === 'string') return { url: saved.url, apiKey: saved.apiKey, found: true };
  } catch {
    // no local cloud has written one: fall back to the defaults
  }
  // 127.0.0.1, where the local API listens: `localhost` may resolve to ::1 first.
  return { url: `http://127.0.0.1:${env.PORT ?? 3000}`, apiKey: DEV_KEY, found: false };
}
