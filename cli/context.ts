import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { createClient, type ConveyorClient } from 'conveyor/client';
import { localEndpoint } from '../local/endpoint-file.js';
import type { Output } from './format.js';

export interface GlobalOptions {
  readonly endpoint?: string;
  readonly key?: string;
  readonly json: boolean;
}

/**
 * Where to send requests: --endpoint / --key, else CONVEYOR_ENDPOINT / CONVEYOR_API_KEY (commander
 * reads them), else the running local cloud (its data dir names its URL and development key, so an
 * `npm start` on another PORT is found), else http://localhost:$PORT (3000) with the dev key.
 */
export function resolveTarget(options: Pick<GlobalOptions, 'endpoint' | 'key'>, env: NodeJS.ProcessEnv = process.env): { endpoint: string; key: string } {
  const local = localEndpoint(env);
  return { endpoint: options.endpoint ?? local.url, key: options.key ?? local.apiKey };
}

/** What every command gets: the API client for the global options, the output, and `--json`. */
export interface CliContext {
  readonly output: Output;
  client(command: Command): ConveyorClient;
  json(command: Command): boolean;
  /** Prints `value` as JSON (for `--json`). */
  printJson(value: unknown): void;
}

export function createContext(output: Output): CliContext {
  const globals = (command: Command) => command.optsWithGlobals<GlobalOptions>();
  return {
    output,
    client: (command) => {
      const { endpoint, key } = resolveTarget(globals(command));
      return createClient({ endpoint, apiKey: key });
    },
    json: (command) => globals(command).json === true,
    printJson: (value) => output.out(JSON.stringify(value, null, 2)),
  };
}

/** A CLI usage error (bad flag value, unreadable file): message to stderr, exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** `--payload` as inline JSON, `@path/to/file.json`, or `-` for stdin. */
export function readJsonArgument(value: string, flag = '--payload'): unknown {
  let text = value;
  if (value === '-') text = readFileSync(0, 'utf8');
  else if (value.startsWith('@')) {
    try {
      text = readFileSync(value.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`${flag}: cannot read ${value.slice(1)} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(`${flag}: not valid JSON — ${(error as Error).message}`);
  }
}

export function positiveInt(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1) throw new UsageError(`${flag} must be a whole number ≥ 1, got "${value}"`);
    return parsed;
  };
}
