import { startLocalCloud, type LocalCloud, type LocalCloudOptions } from '../../local/cloud.js';
import { assertMatchesContract } from './contract.js';

/** A client for the local cloud's HTTP API, as a user would call it. */
export interface ApiClient {
  readonly cloud: LocalCloud;
  request(method: string, path: string, options?: { body?: unknown; rawBody?: string; headers?: Record<string, string>; key?: string | null }): Promise<{ status: number; headers: Headers; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies are JSON of many shapes; tests assert on them
  /** Polls `GET /v1/jobs/{id}` (with `key`, default the dev key) until the job is in one of `statuses`. */
  waitForStatus(jobId: string, statuses: readonly string[], timeoutMs?: number, key?: string): Promise<Record<string, unknown>>;
}

export async function bootLocalCloud(options: LocalCloudOptions = {}): Promise<ApiClient> {
  const cloud = await startLocalCloud({ pollWaitSeconds: 1, ...options });
  const request: ApiClient['request'] = async (method, path, { body, rawBody, headers = {}, key } = {}) => {
    const response = await fetch(`${cloud.apiUrl}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key ?? cloud.apiKey}` }),
        ...(body !== undefined || rawBody !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(rawBody !== undefined ? { body: rawBody } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    // Every response an e2e test receives must be one the OpenAPI document describes.
    assertMatchesContract(method, path, response.status, parsed);
    return { status: response.status, headers: response.headers, body: parsed };
  };
  return {
    cloud,
    request,
    async waitForStatus(jobId, statuses, timeoutMs = 15_000, key) {
      const deadline = Date.now() + timeoutMs;
      let last: Record<string, unknown> | undefined;
      while (Date.now() < deadline) {
        const { body } = await request('GET', `/v1/jobs/${jobId}`, key ? { key } : {});
        last = body as Record<string, unknown>;
        if (statuses.includes(String(last?.status))) return last;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`job ${jobId} did not reach ${statuses.join('/')} in ${timeoutMs} ms; last seen ${JSON.stringify(last)}`);
    },
  };
}
