import { Logger as PowertoolsLogger, LogLevelThreshold, type LogItem } from '@aws-lambda-powertools/logger';
import type { ConveyorConfig } from '../config/env.js';
import type { Logger } from '../ports/logger.js';
import { logScopeFields } from './scope.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const THRESHOLD = {
  debug: LogLevelThreshold.DEBUG,
  info: LogLevelThreshold.INFO,
  warn: LogLevelThreshold.WARN,
  error: LogLevelThreshold.ERROR,
  silent: LogLevelThreshold.SILENT,
} as const;

/**
 * Keys every line owns: Powertools' own (level, message, timestamp, service, sampling rate, trace id)
 * and the Lambda context's, which only the invocation's scope sets (shared/logging/invocation.ts). A
 * caller's field of the same name cannot overwrite them: it is kept as `field_<name>`, so nothing is
 * lost and the line still says what it is.
 */
const LINE_KEYS = ['level', 'message', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id'];
const LAMBDA_KEYS = ['cold_start', 'function_request_id', 'function_name', 'function_arn', 'function_memory_size'];
const CALLER_RESERVED = new Set([...LINE_KEYS, ...LAMBDA_KEYS]);
const SCOPE_RESERVED = new Set(LINE_KEYS);

/** The scope key that marks an invocation sampled for debug lines (shared/logging/invocation.ts). */
export const DEBUG_SAMPLED = 'debug_sampled';

type Sink = (line: string) => void;
const stdout: Sink = (line) => void process.stdout.write(`${line}\n`);

/**
 * Powertools' Logger (formatting, levels and Lambda's advanced logging controls, errors with stack and
 * cause, a JSON replacer that turns BigInt into text and drops cycles), printing to a sink instead of
 * the console so that tests and the local cloud can read the lines.
 */
class SinkLogger extends PowertoolsLogger {
  declare sink: Sink;

  /** Prints one line at `level`, past the level check: the caller has already decided. */
  emit(level: number, message: string, fields: Record<string, unknown>): void {
    this.printLog(level, this.createAndPopulateLogItem(level, message, [fields]));
  }

  protected override printLog(level: number, item: LogItem): void {
    item.prepareForPrint();
    const attributes = item.getAttributes();
    let line: string;
    try {
      line = JSON.stringify(attributes, this.getJsonReplacer());
    } catch (error) {
      // A field whose toJSON or getter throws: the line still goes out, without its fields.
      const { level: name, message, timestamp, service } = attributes;
      line = JSON.stringify({ level: name, message, timestamp, service, log_error: `fields not serialisable: ${error instanceof Error ? error.message : String(error)}` });
    }
    (this.sink ?? stdout)(line);
  }
}

export interface JsonLoggerOptions {
  readonly level?: LogLevel;
  /** Fields on every line of this logger and its children. */
  readonly fields?: Record<string, unknown>;
  /** Where lines go (default: stdout, which Lambda sends to CloudWatch Logs). */
  readonly write?: Sink;
  /** Powertools' `service` field. */
  readonly serviceName?: string;
}

/**
 * The `Logger` port on Powertools for AWS Lambda: one JSON object per line, with the fields of the
 * enclosing log scope (Lambda request id, cold start, correlation id, job — shared/logging/scope.ts),
 * then this logger's fields, then the call's. Children share the Powertools instance.
 */
export class JsonLogger implements Logger {
  readonly #powertools: SinkLogger;
  readonly #fields: Record<string, unknown>;

  constructor(options: JsonLoggerOptions = {}, powertools?: SinkLogger) {
    this.#fields = safeFields(options.fields, CALLER_RESERVED);
    if (powertools) {
      this.#powertools = powertools;
      return;
    }
    // Sampling is decided per invocation by the scope (DEBUG_SAMPLED), not once for the environment:
    // an explicit 0 keeps Powertools from sampling on its own from POWERTOOLS_LOGGER_SAMPLE_RATE.
    this.#powertools = new SinkLogger({ logLevel: (options.level ?? 'info').toUpperCase() as Uppercase<LogLevel>, sampleRateValue: 0, ...(options.serviceName ? { serviceName: options.serviceName } : {}) });
    this.#powertools.sink = options.write ?? stdout;
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
    return new JsonLogger({ fields: { ...this.#fields, ...fields } }, this.#powertools);
  }

  #log(level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>): void {
    const scope = logScopeFields();
    const threshold = THRESHOLD[level];
    const sampled = level === 'debug' && scope?.[DEBUG_SAMPLED] === true && this.#powertools.level < LogLevelThreshold.SILENT;
    if (threshold < this.#powertools.level && !sampled) return;
    const { [DEBUG_SAMPLED]: _marker, ...scoped } = scope ?? {};
    this.#powertools.emit(threshold, message, { ...safeFields(scoped, SCOPE_RESERVED), ...this.#fields, ...safeFields(fields, CALLER_RESERVED) });
  }
}

/** `fields`, with any field named like one of the `reserved` keys renamed `field_<name>`. */
function safeFields(fields: Readonly<Record<string, unknown>> | undefined, reserved: ReadonlySet<string>): Record<string, unknown> {
  if (!fields) return {};
  let renamed: Record<string, unknown> | undefined;
  for (const key of Object.keys(fields)) {
    if (!reserved.has(key)) continue;
    renamed ??= { ...fields };
    delete renamed[key];
    renamed[`field_${key}`] = fields[key];
  }
  return renamed ?? fields;
}

export const silentLogger: Logger = new JsonLogger({ level: 'silent' });

/** A function's logger: the configured level, service `conveyor-<stage>`, and the given fields. */
export function createLogger(
  config: Pick<ConveyorConfig, 'LOG_LEVEL' | 'CONVEYOR_STAGE'>,
  fields: Record<string, unknown> = {},
  options: Pick<JsonLoggerOptions, 'write'> = {},
): Logger {
  return new JsonLogger({ level: config.LOG_LEVEL, serviceName: `conveyor-${config.CONVEYOR_STAGE}`, fields, ...options });
}
