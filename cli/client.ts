/** A small client for Conveyor's HTTP API, as the CLI (and any script) calls it. */

export interface ClientOptions {
  readonly endpoint: string;
  readonly key: string;
  readonly fetch?: typeof fetch;
}

export interface ApiIssue {
  readonly path: string;
  readonly message: string;
}

/** The API answered with an error body `{error:{code,message,issues?}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly ApiIssue[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The API could not be reached at all. */
export class UnreachableError extends Error {
  constructor(readonly endpoint: string, cause: unknown) {
    super(`cannot reach Conveyor at ${endpoint} (${describeCause(cause)}) — is the local cloud running (\`npm start\`), or is --endpoint right?`, { cause });
    this.name = 'UnreachableError';
  }
}

export class ConveyorClient {
  readonly #options: ClientOptions;

  constructor(options: ClientOptions) {
    this.#options = options;
  }

  get endpoint(): string {
    return this.#options.endpoint;
  }

  async request<T = unknown>(method: string, path: string, options: { body?: unknown; query?: Record<string, string | number | undefined>; headers?: Record<string, string> } = {}): Promise<T> {
    const url = new URL(path, this.#options.endpoint.endsWith('/') ? this.#options.endpoint : `${this.#options.endpoint}/`);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, String(value));
    let response: Response;
    try {
      response = await (this.#options.fetch ?? fetch)(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#options.key}`,
          ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...options.headers,
        },
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
    } catch (error) {
      throw new UnreachableError(this.#options.endpoint, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; issues?: ApiIssue[] } } | undefined)?.error;
      throw new ApiError(response.status, error?.code ?? `HTTP_${response.status}`, error?.message ?? (text.slice(0, 200) || response.statusText), error?.issues ?? []);
    }
    return parsed as T;
  }
}

function describeCause(cause: unknown): string {
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause;
  if (inner && typeof inner === 'object' && 'code' in inner && typeof inner.code === 'string') return inner.code;
  return inner instanceof Error ? inner.message : String(inner);
}
