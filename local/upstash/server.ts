import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRedisServer, type RedisProcess } from './redis-process.js';
import { RespConnection, RespError, RespSimple, type RespValue } from './resp.js';
import { answerOnlyLoopbackHosts } from '../loopback-host.js';

/**
 * An Upstash-compatible Redis REST endpoint over a local `redis-server`, so the rate limiter (and
 * `@upstash/redis`, which the contract tests run against it) works unchanged. What it implements (what the client uses):
 * - `POST /` with a JSON command array, e.g. `["SET","k","v"]` → `{"result": …}`, or 400 `{"error": …}`;
 * - `POST /pipeline` with an array of commands → 200 and one `{result}` or `{error}` per command;
 * - `POST /multi-exec`: the same, run as one MULTI/EXEC transaction (a queue-time error aborts it: 400);
 * - `GET|POST /<command>/<arg>/…` path commands (handy for curl; a POST body is the last argument);
 * - `Authorization: Bearer <token>` on every call (401 otherwise);
 * - `Upstash-Encoding: base64`: string results base64-encoded, except the status `OK` — the client
 *   decodes every string but `OK`, so a bare `PONG` would decode to garbage.
 * Blocking and connection-state commands are refused: all requests share one connection.
 */
export interface UpstashServer {
  readonly url: string;
  readonly token: string;
  close(): Promise<void>;
}

const REFUSED = new Set(['BLPOP', 'BRPOP', 'BLMOVE', 'BRPOPLPUSH', 'BZPOPMIN', 'BZPOPMAX', 'BLMPOP', 'BZMPOP', 'SUBSCRIBE', 'PSUBSCRIBE', 'SSUBSCRIBE', 'MONITOR', 'MULTI', 'EXEC', 'DISCARD', 'WATCH', 'UNWATCH', 'SELECT', 'QUIT', 'SHUTDOWN', 'RESET', 'CLIENT', 'WAIT', 'DEBUG', 'SYNC', 'PSYNC', 'REPLICAOF', 'SLAVEOF']);
const MAX_BODY_BYTES = 1024 * 1024;

type Command = (string | number)[];
type Encode = (value: RespValue) => unknown;

/** A fresh random token for the local endpoint. */
export function newUpstashToken(): string {
  return `local_${randomBytes(18).toString('base64url')}`;
}

export async function startUpstashServer(options: { token?: string; host?: string; port?: number; redis?: RedisProcess } = {}): Promise<UpstashServer> {
  const redis = options.redis ?? (await startRedisServer());
  const connection = await RespConnection.open(redis.socketPath);
  const token = options.token ?? newUpstashToken();
  const expected = Buffer.from(`Bearer ${token}`);
  const host = options.host ?? '127.0.0.1';

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => reply(response, 500, { error: `ERR ${String(error)}` }));
  });

  answerOnlyLoopbackHosts(server, 'Upstash endpoint');

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const given = Buffer.from(request.headers.authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return reply(response, 401, { error: 'Unauthorized' });
    const encode: Encode = /^base64$/i.test(String(request.headers['upstash-encoding'] ?? '')) ? toBase64Json : toPlainJson;
    const raw = await readBody(request);
    if (raw === undefined) return reply(response, 413, { error: 'ERR request body too large' });
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;

    if (path === '/pipeline' || path === '/multi-exec') {
      const commands = parseCommands(raw);
      if (typeof commands === 'string') return reply(response, 400, { error: commands });
      if (path === '/pipeline') return reply(response, 200, (await connection.sendAll(commands)).map((r) => resultOf(r, encode)));
      const replies = await connection.sendAll([['MULTI'], ...commands, ['EXEC']]);
      const exec = replies[replies.length - 1];
      if (exec instanceof RespError || !Array.isArray(exec)) {
        const queued = replies.slice(1, -1).find((r) => r instanceof RespError);
        return reply(response, 400, { error: (queued instanceof RespError ? queued : exec instanceof RespError ? exec : new RespError('ERR transaction aborted')).message });
      }
      return reply(response, 200, exec.map((r) => resultOf(r, encode)));
    }

    let command: Command | string;
    if (path === '/' || path === '') {
      command = parseCommand(raw);
    } else {
      command = path.split('/').filter(Boolean).map(decodeURIComponent);
      if (raw.length) command.push(raw.toString('utf8'));
    }
    if (typeof command === 'string') return reply(response, 400, { error: command });
    const refused = refusal(command);
    if (refused) return reply(response, 400, { error: refused });
    const result = resultOf(await connection.send(command), encode);
    return reply(response, 'error' in result ? 400 : 200, result);
  }

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (error) {
    // A redis-server started here must not outlive a failed start.
    connection.close();
    if (!options.redis) await redis.stop();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    token,
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      connection.close();
      if (!options.redis) await redis.stop();
    },
  };
}

function parseCommands(raw: Buffer): Command[] | string {
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    return 'ERR body is not JSON';
  }
  if (!Array.isArray(value) || value.length === 0) return 'ERR body must be a non-empty array of commands';
  const commands: Command[] = [];
  for (const item of value) {
    const command = asCommand(item);
    if (typeof command === 'string') return command;
    const refused = refusal(command);
    if (refused) return refused;
    commands.push(command);
  }
  return commands;
}

function parseCommand(raw: Buffer): Command | string {
  try {
    return asCommand(JSON.parse(raw.toString('utf8')));
  } catch {
    return 'ERR body is not JSON';
  }
}

function asCommand(value: unknown): Command | string {
  if (!Array.isArray(value) || value.length === 0) return 'ERR a command is a non-empty JSON array, e.g. ["GET","key"]';
  const args: Command = [];
  for (const arg of value) {
    if (typeof arg === 'string' || typeof arg === 'number') args.push(arg);
    else if (typeof arg === 'boolean') args.push(String(arg));
    // The client serialises objects (JSON values) itself; anything else nested is a caller bug.
    else return `ERR command arguments must be strings or numbers, got ${JSON.stringify(arg)}`;
  }
  return args;
}

function refusal(command: Command): string | undefined {
  const name = String(command[0]).toUpperCase();
  return REFUSED.has(name) ? `ERR ${name} is not supported by this REST endpoint (blocking or connection-state command)` : undefined;
}

function resultOf(value: RespValue, encode: Encode): { result: unknown } | { error: string } {
  return value instanceof RespError ? { error: value.message } : { result: encode(value) };
}

function toPlainJson(value: RespValue): unknown {
  if (value instanceof RespSimple) return value.value;
  if (value instanceof RespError) return value.message;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (Array.isArray(value)) return value.map(toPlainJson);
  return value;
}

function toBase64Json(value: RespValue): unknown {
  if (value instanceof RespSimple) return value.value === 'OK' ? 'OK' : Buffer.from(value.value).toString('base64');
  if (value instanceof RespError) return value.message;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(toBase64Json);
  return value;
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
