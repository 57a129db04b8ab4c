import type { ConveyorConfig } from '../../../shared/config/env.js';
import { noTracer, type TraceAnnotations, type Tracer } from '../../../shared/ports/tracer.js';

/*
 * X-Ray through Powertools Tracer, on where the stage traces (CONVEYOR_TRACING=on, set with Lambda's
 * Active tracing by the CDK), off otherwise. Powertools Tracer pulls in aws-xray-sdk-core, so it is
 * imported only when on, once per cold start (`enableTracing`, awaited by the entry before it builds
 * its clients); a function that does not trace never evaluates it.
 *
 * While on, every SDK client the factories in clients.ts build is captured (`traced`): each DynamoDB
 * or SQS call is a subsegment of the invocation's trace, and SQS sends carry the trace header on to
 * the consumer (AWSTraceHeader). S3, SES and Bedrock Runtime have no SDK client (s3-object-client.ts,
 * ses-email-client.ts, bedrock-converse-client.ts): their calls are subsegments named
 * `S3.<Operation>`, `SES.SendEmail` and `BedrockRuntime.Converse` through `currentTracer()`, local
 * ones rather than `aws` ones.
 * https://docs.aws.amazon.com/powertools/typescript/latest/core/tracer/
 * https://docs.aws.amazon.com/xray/latest/devguide/xray-services-sqs.html
 */

interface PowertoolsTracer {
  captureAWSv3Client<T>(client: T): T;
  isTracingEnabled(): boolean;
  readonly provider: {
    captureAsyncFunc(name: string, work: (subsegment?: Subsegment) => unknown): unknown;
  };
}

interface Subsegment {
  addAnnotation(key: string, value: string | number | boolean): void;
  addError(error: Error | string, remote?: boolean): void;
  close(error?: Error | string | null): void;
}

let active: PowertoolsTracer | undefined;

/** Loads Powertools Tracer when the config turns tracing on (once per process). */
export async function enableTracing(config: Pick<ConveyorConfig, 'CONVEYOR_TRACING' | 'CONVEYOR_STAGE'>): Promise<void> {
  if (config.CONVEYOR_TRACING !== 'on' || active) return;
  const { Tracer } = await import('@aws-lambda-powertools/tracer');
  active = new Tracer({ serviceName: `conveyor-${config.CONVEYOR_STAGE}` }) as unknown as PowertoolsTracer;
}

/** `client`, captured so that each of its calls is an X-Ray subsegment when tracing is on. */
export function traced<C extends object>(client: C): C {
  return active?.isTracingEnabled() ? active.captureAWSv3Client(client) : client;
}

/** The Tracer port: a subsegment per span when tracing is on, nothing otherwise. */
export function currentTracer(): Tracer {
  const tracer = active;
  if (!tracer?.isTracingEnabled()) return noTracer;
  return {
    span: <T>(name: string, annotations: TraceAnnotations, work: () => Promise<T>): Promise<T> =>
      tracer.provider.captureAsyncFunc(name, async (subsegment?: Subsegment) => {
        for (const [key, value] of Object.entries(annotations)) if (value !== undefined) subsegment?.addAnnotation(key, value);
        try {
          return await work();
        } catch (error) {
          subsegment?.addError(error instanceof Error ? error : String(error));
          throw error;
        } finally {
          subsegment?.close();
        }
      }) as Promise<T>,
  };
}

/** For tests: forget the loaded tracer. */
export function disableTracing(): void {
  active = undefined;
}
