import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { bundleAliases, LAMBDA_BUNDLING } from '../bundling.js';
import { statefulRemovalPolicy, type StageSettings } from '../config/stages.js';
import { acknowledgeWildcardResource } from './nag.js';

/** `NodejsFunction` bundling for every Conveyor Lambda: the settings `npm run bench` measures too (infra/bundling.ts); never Docker. */
export function lambdaBundling(options: { tracing: boolean } = { tracing: false }): BundlingOptions {
  return {
    forceDockerBundling: false,
    format: OutputFormat.ESM,
    target: LAMBDA_BUNDLING.target,
    minify: LAMBDA_BUNDLING.minify,
    sourceMap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    externalModules: [...LAMBDA_BUNDLING.externalModules],
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    banner: LAMBDA_BUNDLING.banner,
    // NodejsFunction has no `alias` option; esbuild takes it as an argument.
    esbuildArgs: Object.fromEntries(Object.entries(bundleAliases(options)).map(([from, to]) => [`--alias:${from}`, to])),
  };
}

/** `functions/entry/<name>.ts`, the thin Lambda entry points; an absolute path (a generated consumer entry) as it is. */
export function entryPath(name: string): string {
  return isAbsolute(name) ? name : fileURLToPath(new URL(`../../functions/entry/${name}.ts`, import.meta.url));
}

export interface ConveyorFunctionProps {
  readonly settings: StageSettings;
  /** Becomes `conveyor-<stage>-<name>`. */
  readonly name: string;
  /** `functions/entry/<entry>.ts`, or the absolute path of a generated entry (infra/consumer-entry.ts). */
  readonly entry: string;
  readonly description: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** One line per variable; see `infra/constructs/environment.ts`. */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * A Conveyor Lambda function: Node.js 24 on arm64 (about 20% cheaper per GB-second than x86), bundled
 * by the local esbuild (never Docker) into one minified ES module with a source map, its own log
 * group, and its own role that starts with nothing but writing to that log group — every other
 * permission is granted by name where the resource is wired.
 */
export class ConveyorFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;
  readonly functionName: string;
  /** The entry file it bundles (`functions/entry/<entry>.ts`). */
  readonly entryFile: string;

  constructor(scope: Construct, id: string, props: ConveyorFunctionProps) {
    super(scope, id);
    const { settings } = props;
    this.functionName = `conveyor-${settings.stage}-${props.name}`;
    this.entryFile = entryPath(props.entry);

    this.logGroup = new LogGroup(this, 'Logs', {
      logGroupName: `/aws/lambda/${this.functionName}`,
      retention: settings.logRetention,
      removalPolicy: statefulRemovalPolicy(settings),
    });
    // A role of our own instead of AWSLambdaBasicExecutionRole, which may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${this.functionName}: its log group and the resources it is granted, nothing more`,
    });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Function', {
      functionName: this.functionName,
      description: props.description,
      entry: this.entryFile,
      handler: 'handler',
      // The bundles target node24 (infra/bundling.ts): the runtime the code is built for.
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      timeout: Duration.seconds(props.timeoutSeconds),
      memorySize: props.memoryMb,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment },
      bundling: lambdaBundling({ tracing: settings.tracing }),
      // Active: Lambda records a segment per invocation (sampled) and the role may write traces; the
      // functions add subsegments for their AWS calls (functions/adapters/aws/tracing.ts).
      // https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
      ...(settings.tracing ? { tracing: Tracing.ACTIVE } : {}),
    });
    if (settings.tracing) {
      acknowledgeWildcardResource(this.role, '*', 'xray:PutTraceSegments and xray:PutTelemetryRecords take no resource-level permissions: X-Ray accepts only "*" (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html).');
    }
  }
}
