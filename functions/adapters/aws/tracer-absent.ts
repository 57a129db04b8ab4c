/**
 * Stands in for `@aws-lambda-powertools/tracer` in the bundles of a stage that does not trace
 * (infra/bundling.ts): Powertools Tracer and aws-xray-sdk-core weigh about 118 KB minified, in every
 * function. The CDK sets CONVEYOR_TRACING from the same stage setting, so this is never constructed.
 * It imports nothing of ours: a module reached by a dynamic import makes esbuild wrap every module
 * it imports for lazy start-up, in every bundle.
 */
export class Tracer {
  constructor() {
    const error = new Error('CONVEYOR_TRACING=on, but this function was bundled without the tracer: deploy the stage with tracing on (-c tracing=on)');
    error.name = 'TracingNotBundledError';
    throw error;
  }
}
