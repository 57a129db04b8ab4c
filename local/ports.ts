import { createServer } from 'node:net';
import { ConfigurationError, ConveyorError } from '../shared/domain/errors.js';
import { DataDirInUseError } from './data-dir-lock.js';

/** The servers of the local cloud that listen on a TCP port. */
export const LOCAL_SERVICES = ['api', 'dynamodb', 'sqs', 'ses', 's3', 'upstash', 'lambda'] as const;
export type LocalServiceName = (typeof LOCAL_SERVICES)[number];
export type LocalPorts = Readonly<Record<LocalServiceName, number>>;

/**
 * Each service's port is `PORT` + its offset unless its own variable says otherwise: the same ports
 * after every restart, so a bookmarked inbox or an SDK endpoint configured by hand keeps working.
 */
export const PORT_SETTINGS: Readonly<Record<LocalServiceName, { readonly offset: number; readonly variable: string; readonly what: string }>> = {
  api: { offset: 0, variable: 'PORT', what: 'the API and dashboard' },
  dynamodb: { offset: 1, variable: 'CONVEYOR_DYNAMODB_PORT', what: 'local DynamoDB' },
  sqs: { offset: 2, variable: 'CONVEYOR_SQS_PORT', what: 'local SQS' },
  ses: { offset: 3, variable: 'CONVEYOR_SES_PORT', what: 'local SES and the mail inbox' },
  s3: { offset: 4, variable: 'CONVEYOR_S3_PORT', what: 'local S3' },
  upstash: { offset: 5, variable: 'CONVEYOR_UPSTASH_PORT', what: 'the local Upstash endpoint' },
  lambda: { offset: 6, variable: 'CONVEYOR_LAMBDA_PORT', what: 'the local Lambda API (event source mappings)' },
};

export const DEFAULT_PORT = 3000;
const MAX_OFFSET = Math.max(...Object.values(PORT_SETTINGS).map((s) => s.offset));

/**
 * The ports `npm start` listens on, from the environment. `PORT=0` picks free ports for every
 * service (nothing stable then, for scripts that start several clouds). A bad value is a
 * ConfigurationError naming the variable.
 */
export function localPorts(env: Readonly<Record<string, string | undefined>>): LocalPorts {
  const base = portFrom(env, 'PORT', 65_535 - MAX_OFFSET) ?? DEFAULT_PORT;
  const ports = {} as Record<LocalServiceName, number>;
  for (const service of LOCAL_SERVICES) {
    const { offset, variable } = PORT_SETTINGS[service];
    ports[service] = (service === 'api' ? undefined : portFrom(env, variable, 65_535)) ?? (base === 0 ? 0 : base + offset);
  }
  const taken = new Map<number, LocalServiceName>();
  for (const service of LOCAL_SERVICES) {
    const other = taken.get(ports[service]);
    if (other && ports[service] !== 0) {
      throw new ConfigurationError(`${PORT_SETTINGS[service].variable}=${ports[service]} is also the port of ${PORT_SETTINGS[other].what} (${PORT_SETTINGS[other].variable}); give each service its own port`);
    }
    taken.set(ports[service], service);
  }
  return ports;
}

function portFrom(env: Readonly<Record<string, string | undefined>>, variable: string, max: number): number | undefined {
  const raw = env[variable];
  if (raw === undefined || raw === '') return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > max) throw new ConfigurationError(`${variable} must be a port number from 0 to ${max}, got "${raw}"`);
  return port;
}

/** Another process holds a port the local cloud needs. */
export class PortInUseError extends ConveyorError {
  constructor(
    readonly service: LocalServiceName,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super('PORT_IN_USE', `port ${port} (${PORT_SETTINGS[service].what}) is in use`, options);
    this.name = 'PortInUseError';
  }

  /** One line for a person: what, which port, what to do. */
  get advice(): string {
    const { variable, what } = PORT_SETTINGS[this.service];
    const move = this.service === 'api' ? `set PORT to another port (the other services follow it)` : `set ${variable} to another port, or PORT to move every service`;
    return `Cannot start: port ${this.port} (${what}) is already in use — another \`npm start\`? Stop what holds it, or ${move}.`;
  }
}

/**
 * Fails with PortInUseError when `port` cannot be bound on `host`. Checked before a server starts:
 * some of the servers (s3rver, aws-ses-v2-local) report a busy port as an uncaught error event or
 * not at all.
 */
export async function assertPortFree(service: LocalServiceName, port: number, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) => reject(error.code === 'EADDRINUSE' ? new PortInUseError(service, port, { cause: error }) : error));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve()));
  });
}

/** A server's own listen failure as a PortInUseError when it is one (the port was taken after the check). */
export function asPortInUse(service: LocalServiceName, port: number | undefined, error: unknown): unknown {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'EADDRINUSE' && port ? new PortInUseError(service, port, { cause: error }) : error;
}

/**
 * Runs the start-up; a busy port, a data dir in use or a bad setting ends the process with one line on stderr and
 * exit code 1 — not a stack trace. Anything else is a bug and keeps its stack.
 */
export async function exitOnStartFailure<T>(start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if (error instanceof PortInUseError) console.error(error.advice);
    // Another cloud owns the data dir: one line says so, and none of its files was touched.
    else if (error instanceof DataDirInUseError) console.error(`conveyor: ${error.message}`);
    else if (error instanceof ConfigurationError) console.error(`Cannot start: ${error.message}`);
    else throw error;
    process.exit(1);
  }
}
