import { ConfigurationError } from '../../../shared/domain/errors.js';

/**
 * Stands in for `@aws-lambda-powertools/tracer` in the bundles of a stage that does not trace
 * (infra/bundling.ts): Powertools Tracer and aws-xray-sdk-core weigh about 116 KB minified, in every
 * function. The CDK sets CONVEYOR_TRACING from the same stage setting, so this is never constructed.
 */
export class Tracer {
  constructor() {
    throw new ConfigurationError('CONVEYOR_TRACING=on, but this function was bundled without the tracer: deploy the stage with tracing on (-c tracing=on)');
  }
}
