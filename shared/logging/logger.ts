import type { ConveyorConfig } from '../config/env.js';
import type { Logger } from '../ports/logger.js';

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

/**
 * One JSON object per line (CloudWatch Logs Insights can query the fields). `write` is injectable
 * so tests and the local cloud can capture or pretty-print.
 */
export class JsonLogger implements Logger {
  readonly #level: LogLevel;
  readonly #fields: Record<string, unknown>;
  readonly #write: (line: string) => void;

  constructor(options: { level?: LogLevel; fields?: Record<string, unknown>; write?: (line: string) => void } = {}) {
    this.#level = options.level ?? 'info';
    this.#fields = options.fields ?? {};
    this.#write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  debug(message: string, fields?: Record<string, unknown>): void {
    this.#log('debug', message, fields);
  }
  info(message: string, fields?: Record<string, unknown>): void {
    this.#log('info', message, fields);
  }
  warn(message: string, fields?: Record<string, unknown>): void {
    this.#log('warn', message, fields);
  }
  error(message: string, fields?: Record<string, unknown>): void {
    this.#log('error', message, fields);
  }
  child(fields: Record<string, unknown>): Logger {
    return new JsonLogger({ level: this.#level, fields: { ...this.#fields, ...fields }, write: this.#write });
  }

  #log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
    if (LEVELS[level] < LEVELS[this.#level]) return;
    this.#write(JSON.stringify({ level, time: new Date().toISOString(), message, ...this.#fields, ...fields }, errorReplacer));
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...('code' in value ? { code: value.code } : {}) };
  return value;
}

export const silentLogger: Logger = new JsonLogger({ level: 'silent' });

/** A function's logger: the configured level, every line tagged with the stage and the given fields. */
export function createLogger(config: Pick<ConveyorConfig, 'LOG_LEVEL' | 'CONVEYOR_STAGE'>, fields: Record<string, unknown> = {}): Logger {
  return new JsonLogger({ level: config.LOG_LEVEL, fields: { stage: config.CONVEYOR_STAGE, ...fields } });
}
