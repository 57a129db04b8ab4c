import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import type { SqsEventSourceMapping } from './event-source-mapping.js';
import { answerOnlyLoopbackHosts } from './loopback-host.js';

/** One event source mapping the local Lambda API manages: its AWS-shaped settings and its pollers. */
export interface LocalMappingEntry {
  readonly uuid: string;
  readonly functionName: string;
  readonly eventSourceArn: string;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly mapping: SqsEventSourceMapping;
}

type MappingState = 'Enabled' | 'Enabling' | 'Disabled' | 'Disabling';

export interface LocalLambdaServer {
  readonly endpoint: string;
  /** Adds a mapping and starts it, unless the state file says it was disabled before a restart. */
  register(entry: LocalMappingEntry): void;
  close(): Promise<void>;
}

/**
 * The slice of Lambda's control-plane API that Conveyor calls, over the same REST-JSON protocol, so
 * the API's Lambda client (functions/adapters/aws/lambda-mappings-client.ts) pauses the local pollers as it pauses event source mappings
 * on AWS: GetEventSourceMapping and UpdateEventSourceMapping (`Enabled` only) by UUID.
 *
 * As on AWS, disabling answers at once with State `Disabling`; the mapping is `Disabled` once the
 * invocations under way have finished, and nothing under way is interrupted. The enabled flags persist
 * in `stateFile` (the data dir), as a mapping's state outlives a restart on AWS.
 */
export async function startLocalLambda(options: { port?: number; stateFile?: string; region?: string; account?: string } = {}): Promise<LocalLambdaServer> {
  const region = options.region ?? 'us-east-1';
  const account = options.account ?? '000000000000';
  const entries = new Map<string, { entry: LocalMappingEntry; state: MappingState; lastModified: number }>();
  const saved = readState(options.stateFile);

  const persist = (): void => {
    if (!options.stateFile) return;
    const state = Object.fromEntries([...entries].map(([uuid, e]) => [uuid, { enabled: e.state === 'Enabled' || e.state === 'Enabling' }]));
    mkdirSync(dirname(options.stateFile), { recursive: true });
    const temporary = `${options.stateFile}.tmp`;
    writeFileSync(temporary, JSON.stringify(state, null, 2));
    renameSync(temporary, options.stateFile);
  };

  const describe = (uuid: string) => {
    const found = entries.get(uuid)!;
    const { entry } = found;
    return {
      UUID: uuid,
      BatchSize: entry.batchSize,
      MaximumBatchingWindowInSeconds: entry.batchingWindowSeconds,
      EventSourceArn: entry.eventSourceArn,
      FunctionArn: `arn:aws:lambda:${region}:${account}:function:${entry.functionName}`,
      LastModified: found.lastModified,
      State: found.state,
      StateTransitionReason: 'USER_INITIATED',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: entry.maxConcurrency },
      EventSourceMappingArn: `arn:aws:lambda:${region}:${account}:event-source-mapping:${uuid}`,
    };
  };

  const setEnabled = (uuid: string, enabled: boolean): void => {
    const found = entries.get(uuid)!;
    const on = found.state === 'Enabled' || found.state === 'Enabling';
    if (enabled === on) return;
    found.lastModified = Date.now() / 1000;
    if (enabled) {
      // A poller still finishing keeps its slot (SqsEventSourceMapping.start): enabled at once.
      found.entry.mapping.start();
      found.state = 'Enabled';
    } else {
      found.state = 'Disabling';
      void found.entry.mapping.stop().then(() => {
        if (found.state === 'Disabling') found.state = 'Disabled';
      });
    }
    persist();
  };

  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      sendError(response, 500, 'ServiceException', error instanceof Error ? error.message : String(error));
    });
  });

  answerOnlyLoopbackHosts(server, 'Lambda API');

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    const match = /^\/2015-03-31\/event-source-mappings\/([^/]+)$/.exec(pathname);
    if (!match) return sendError(response, 404, 'UnknownOperationException', `the local Lambda API serves only GetEventSourceMapping and UpdateEventSourceMapping (${request.method} ${pathname})`);
    const uuid = decodeURIComponent(match[1]!);
    if (!entries.has(uuid)) return sendError(response, 404, 'ResourceNotFoundException', `The resource you requested does not exist. (Service: Lambda, UUID: ${uuid})`);
    if (request.method === 'GET') return send(response, 200, describe(uuid));
    if (request.method !== 'PUT') return sendError(response, 405, 'UnknownOperationException', `${request.method} is not supported on an event source mapping here`);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse((await readBody(request)) || '{}') as Record<string, unknown>;
    } catch {
      return sendError(response, 400, 'InvalidParameterValueException', 'the request body is not JSON');
    }
    const unsupported = Object.keys(body).filter((key) => key !== 'Enabled');
    if (unsupported.length) return sendError(response, 400, 'InvalidParameterValueException', `the local Lambda API changes only Enabled; got ${unsupported.join(', ')}`);
    if (body.Enabled !== undefined && typeof body.Enabled !== 'boolean') return sendError(response, 400, 'InvalidParameterValueException', 'Enabled must be a boolean');
    if (typeof body.Enabled === 'boolean') setEnabled(uuid, body.Enabled);
    // UpdateEventSourceMapping answers 202 Accepted with the mapping's configuration.
    return send(response, 202, describe(uuid));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as { port: number };

  return {
    endpoint: `http://127.0.0.1:${port}`,
    register(entry) {
      const enabled = saved[entry.uuid]?.enabled ?? true;
      entries.set(entry.uuid, { entry, state: enabled ? 'Enabled' : 'Disabled', lastModified: Date.now() / 1000 });
      if (enabled) entry.mapping.start();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * A mapping's UUID derived from what it connects, so it stays the same across restarts of the local
 * cloud (on AWS it is fixed when the mapping is created) and the API can be told it up front.
 */
export function localMappingUuid(functionName: string, eventSourceArn: string): string {
  const hex = createHash('sha256').update(`${functionName}\n${eventSourceArn}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function readState(file: string | undefined): Record<string, { enabled?: boolean }> {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, { enabled?: boolean }>;
  } catch {
    return {};
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify(body));
}

/** Lambda's REST-JSON errors: the type in `x-amzn-errortype`, the message in the body. */
function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': randomUUID() });
  response.end(JSON.stringify({ Type: status >= 500 ? 'Service' : 'User', message }));
}
