import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';
import type { LocalRoute } from '../api-gateway.js';

/** Where the dashboard lives on the local API server. */
export const DASHBOARD_PATH = '/dashboard';

const HERE = dirname(fileURLToPath(import.meta.url));
const FILES: Readonly<Record<string, { file: string; type: string; compile?: true }>> = {
  '/': { file: 'static/index.html', type: 'text/html; charset=utf-8' },
  // The page script is TypeScript (type-checked with the rest); esbuild strips the types once.
  '/app.js': { file: 'app.ts', type: 'text/javascript; charset=utf-8', compile: true },
  '/style.css': { file: 'static/style.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'static/favicon.svg', type: 'image/svg+xml' },
};

/**
 * The local web dashboard: a static page that calls the same admin API as the CLI, from the same
 * origin. Everything is served from this folder (no CDN). The page learns the local development
 * key from `config.json` — only the local cloud serves it; on AWS the dashboard does not exist.
 */
export interface DashboardOptions {
  readonly defaultApiKey: string;
  /** The local keys, offered in the key field (the `system` tenant's shows the recurring jobs). */
  readonly keys?: readonly { readonly key: string; readonly tenant: string; readonly scopes: readonly string[] }[];
  /** The registry's job types, for the filters (a key without the admin scope cannot read /v1/queues). */
  readonly jobTypes?: readonly string[];
}

export function dashboardRoutes(options: DashboardOptions): LocalRoute {
  const cache = new Map<string, Buffer>();
  return (request: IncomingMessage, response: ServerResponse) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return false;
    if (request.method !== 'GET' && request.method !== 'HEAD') return send(response, 405, 'text/plain; charset=utf-8', 'method not allowed');
    if (path === DASHBOARD_PATH) {
      response.writeHead(308, { location: `${DASHBOARD_PATH}/` });
      response.end();
      return true;
    }
    const rest = path.slice(DASHBOARD_PATH.length);
    if (rest === '/config.json') return send(response, 200, 'application/json', JSON.stringify({ apiKey: options.defaultApiKey, keys: options.keys ?? [], jobTypes: options.jobTypes ?? [] }));
    const entry = FILES[rest];
    if (!entry) return send(response, 404, 'text/plain; charset=utf-8', 'not found');
    let body = cache.get(entry.file);
    if (!body) {
      const source = readFileSync(join(HERE, entry.file), 'utf8');
      body = Buffer.from(entry.compile ? transformSync(source, { loader: 'ts', format: 'esm', target: 'es2022' }).code : source, 'utf8');
      cache.set(entry.file, body);
    }
    return send(response, 200, entry.type, body);
  };
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): true {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    // Only this origin: the page's own script, style and API calls.
    'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  response.end(body);
  return true;
}
