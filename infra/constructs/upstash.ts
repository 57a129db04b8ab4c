import { ArnFormat, type Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ConveyorFunction } from './ConveyorFunction.js';

/**
 * The Upstash Redis credentials (rate limits), kept in Secrets Manager as the JSON
 * `{"url": "https://….upstash.io", "token": "…"}` and created by the operator (docs/deploying.md,
 * Upstash). A function that rate-limits gets the secret's NAME in `CONVEYOR_UPSTASH_SECRET` and may read
 * that one secret at cold start; the token is never in the template nor in any function's environment.
 */
export class UpstashSecret {
  /** The variable the functions' cold-start loader reads (the secret's name). */
  static readonly VARIABLE = 'CONVEYOR_UPSTASH_SECRET';

  readonly secretName: string;
  /**
   * The secret's ARN pattern. Secrets Manager appends `-` and six random characters to a secret's
   * name in its ARN; `??????` matches exactly those six, so no other secret (e.g. `…/upstash-old`) does.
   */
  readonly secretArn: string;

  constructor(stack: Stack, secretName: string) {
    this.secretName = secretName;
    this.secretArn = stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName: `${secretName}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
  }

  /** The variable, and GetSecretValue (nothing else) on this secret (nothing else). */
  connect(fn: ConveyorFunction): void {
    fn.fn.addEnvironment(UpstashSecret.VARIABLE, this.secretName);
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secretArn] }));
  }
}
