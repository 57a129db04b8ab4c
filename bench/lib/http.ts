import { Agent, request } from 'node:http';

/**
 * A lean keep-alive HTTP client for the load generator. `fetch` (undici) costs the client several
 * times more CPU per request, and on a 2-core machine the client's CPU is taken from the cloud.
 */
export class BenchHttpClient {
  readonly #agent: Agent;
  readonly #base: URL;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string, apiKey: string, maxSockets: number) {
    this.#base = new URL(baseUrl);
    this.#agent = new Agent({ keepAlive: true, maxSockets });
    this.#headers = { authorization: `Bearer ${apiKey}` };
  }

  post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    return this.#send('POST', path, JSON.stringify(body));
  }

  get(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return this.#send('GET', path);
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(method: string, path: string, body?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { ...this.#headers };
      if (body !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      const req = request({ host: this.#base.hostname, port: this.#base.port, path, method, agent: this.#agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
          } catch (error) {
            reject(new Error(`${method} ${path}: ${res.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`, { cause: error }));
          }
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}

/** Runs `task(i)` for i in [0, count) with at most `concurrency` under way. */
export async function runPool(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, count) }, async () => {
    while (next < count) await task(next++);
  });
  await Promise.all(workers);
}
