import type { ConveyorConfig } from '../config/env.js';
import { DEBUG_SAMPLED } from './logger.js';
import { withLogFields } from './scope.js';

/** The slice of the Lambda context a log line needs (the adapters own the full `aws-lambda` types). */
export interface LambdaContextLike {
  readonly awsRequestId: string;
  readonly functionName?: string;
  readonly invokedFunctionArn?: string;
  readonly memoryLimitInMB?: string | number;
}

/** The Lambda fields of a line, named as Powertools' `injectLambdaContext` names them. */
export interface InvocationFields {
  readonly function_request_id: string;
  readonly cold_start: boolean;
  readonly function_name?: string;
  readonly function_arn?: string;
  readonly function_memory_size?: number;
}

/**
 * One function instance's invocations: the first is the cold start. Built once per composition root
 * (a Lambda execution environment on AWS; each function of the local cloud locally). An environment
 * initialised ahead of traffic (provisioned concurrency, SnapStart: AWS_LAMBDA_INITIALIZATION_TYPE)
 * never serves a cold start, as Powertools counts it.
 */
export class LambdaInvocations {
  #cold: boolean;
  readonly #debugSampleRate: number;
  readonly #random: () => number;

  constructor(options: { initializationType?: string | undefined; debugSampleRate?: number; random?: () => number } = {}) {
    this.#cold = options.initializationType === undefined || options.initializationType === 'on-demand';
    this.#debugSampleRate = options.debugSampleRate ?? 0;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Runs one invocation with its Lambda fields and `fields` (e.g. the correlation id) on every line it
   * logs. A share of invocations (`debugSampleRate`, 0–1) also logs its debug lines, whatever the level:
   * the whole story of a few requests, decided per invocation as Powertools' sampling does on a warm start.
   */
  run<T>(context: LambdaContextLike, fields: Readonly<Record<string, unknown>>, work: () => T): T {
    const sampled = this.#debugSampleRate > 0 && this.#random() < this.#debugSampleRate;
    return withLogFields({ ...this.fieldsOf(context), ...fields, ...(sampled ? { [DEBUG_SAMPLED]: true } : {}) }, work);
  }

  /**
   * `handler`, with each invocation run in its log scope (see `run`): what a composition root hands to
   * Lambda. An invocation without a request id (a direct call in a test) runs as it is.
   */
  wrap<E, C extends Partial<LambdaContextLike> | undefined, R>(handler: (event: E, context: C) => Promise<R>): (event: E, context: C) => Promise<R> {
    return (event, context) => (context?.awsRequestId ? this.run(context as LambdaContextLike, {}, () => handler(event, context)) : handler(event, context));
  }

  /** The fields of one invocation; the first call of an on-demand environment is its cold start. */
  fieldsOf(context: LambdaContextLike): InvocationFields {
    const coldStart = this.#cold;
    this.#cold = false;
    const memory = Number(context.memoryLimitInMB);
    return {
      function_request_id: context.awsRequestId,
      cold_start: coldStart,
      ...(context.functionName ? { function_name: context.functionName } : {}),
      ...(context.invokedFunctionArn ? { function_arn: context.invokedFunctionArn } : {}),
      ...(Number.isFinite(memory) && memory > 0 ? { function_memory_size: memory } : {}),
    };
  }
}

/** A function instance's invocations, with the environment's initialization type and debug sampling. */
export function createInvocations(config: Pick<ConveyorConfig, 'AWS_LAMBDA_INITIALIZATION_TYPE' | 'CONVEYOR_LOG_DEBUG_SAMPLE_RATE'>): LambdaInvocations {
  return new LambdaInvocations({ initializationType: config.AWS_LAMBDA_INITIALIZATION_TYPE, debugSampleRate: config.CONVEYOR_LOG_DEBUG_SAMPLE_RATE });
}
