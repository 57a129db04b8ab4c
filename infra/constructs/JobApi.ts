import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpNoneAuthorizer, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { statefulRemovalPolicy, type StageSettings } from '../config/stages.js';
import { API_FUNCTION_TIMEOUT_SECONDS } from '../../shared/jobs/derived.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import { API_DLQ_ACTIONS, API_PAUSE_ACTIONS, API_QUERY_ACTIONS, API_QUEUE_ACTIONS, indexArn, TABLE_ACTIONS } from './permissions.js';

export interface JobApiProps {
  readonly settings: StageSettings;
  readonly table: ITable;
  /**
   * Each job type's queues (a lane per priority, each with its event source mapping) and its DLQ: the
   * API enqueues, reads depths, redrives, and pauses a type by disabling its lanes' mappings.
   */
  readonly queues: Readonly<Record<string, { readonly lanes: readonly { readonly queue: IQueue; readonly eventSourceMappingId: string; readonly eventSourceMappingArn: string }[]; readonly dlq: IQueue }>>;
  /** Variables every function gets (`commonEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables only the API function gets (queue URLs, download bucket…). */
  readonly apiEnvironment: Readonly<Record<string, string>>;
}

/**
 * The public HTTP API: API Gateway v2 (HTTP API, about a third of a REST API's price per request)
 * in front of the API function, with
 * - a Lambda authorizer that checks the Bearer API key against its SHA-256 in the table before the
 *   API function runs, its answer cached per key for `authorizerCacheSeconds`;
 * - stage throttling and JSON access logs.
 * Every route needs a key except `GET /v1/health`; new routes the Hono app grows are covered by the
 * default route, so they are authorised without an infra change.
 */
export class JobApi extends Construct {
  readonly api: ConveyorFunction;
  readonly authorizer: ConveyorFunction;
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: JobApiProps) {
    super(scope, id);
    const { settings, table } = props;

    this.api = new ConveyorFunction(this, 'Api', {
      settings,
      name: 'api',
      entry: 'api',
      description: `Conveyor ${settings.stage}: the HTTP API (jobs, queues, dead letters)`,
      timeoutSeconds: API_FUNCTION_TIMEOUT_SECONDS,
      memoryMb: 512,
      environment: {
        ...props.environment,
        ...props.apiEnvironment,
        // What `POST /v1/queues/{type}/pause` disables: each type's mappings by UUID (no lookup at run time).
        CONVEYOR_EVENT_SOURCE_MAPPINGS: Stack.of(this).toJsonString(Object.fromEntries(Object.entries(props.queues).map(([type, { lanes }]) => [type, lanes.map((lane) => lane.eventSourceMappingId)]))),
      },
    });
    this.api.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.api], resources: [table.tableArn] }));
    this.api.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...API_QUERY_ACTIONS], resources: [table.tableArn, indexArn(table.tableArn, 'deadLetters')] }));
    const queues = Object.values(props.queues);
    this.api.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...API_QUEUE_ACTIONS], resources: queues.flatMap(({ lanes }) => lanes.map(({ queue }) => queue.queueArn)) }));
    this.api.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...API_DLQ_ACTIONS], resources: queues.map(({ dlq }) => dlq.queueArn) }));
    // Pause/resume: Enabled on exactly the job types' mappings (UpdateEventSourceMapping takes the
    // event-source-mapping ARN as its resource: https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html).
    this.api.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...API_PAUSE_ACTIONS], resources: queues.flatMap(({ lanes }) => lanes.map((lane) => lane.eventSourceMappingArn)) }));

    this.authorizer = new ConveyorFunction(this, 'Authorizer', {
      settings,
      name: 'authorizer',
      entry: 'authorizer',
      description: `Conveyor ${settings.stage}: API key authorizer (SHA-256 lookup)`,
      timeoutSeconds: 5,
      memoryMb: 256,
      // It enqueues nothing: an empty queue map satisfies the shared config parser.
      environment: { ...props.environment, CONVEYOR_QUEUE_URLS: '{}' },
    });
    this.authorizer.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.authorizer], resources: [table.tableArn] }));

    const authorizer = new HttpLambdaAuthorizer('ApiKey', this.authorizer.fn, {
      authorizerName: 'api-key',
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: Duration.seconds(settings.api.authorizerCacheSeconds),
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', this.api.fn);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `conveyor-${settings.stage}`,
      description: `Conveyor ${settings.stage} job API`,
      defaultIntegration: integration,
      defaultAuthorizer: authorizer,
      // The stage below carries throttling and access logs, which the default stage cannot.
      createDefaultStage: false,
    });
    this.httpApi.addRoutes({ path: '/v1/health', methods: [HttpMethod.GET], integration, authorizer: new HttpNoneAuthorizer() });
    // The analyze API's queue health (BullMQ-style clients poll it without a key): queue depths only.
    this.httpApi.addRoutes({ path: '/queue/health', methods: [HttpMethod.GET], integration, authorizer: new HttpNoneAuthorizer() });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.logRetention,
      removalPolicy: statefulRemovalPolicy(settings),
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: settings.api.rateLimitPerSecond, burstLimit: settings.api.burstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationMs: '$context.integrationLatency',
            tenant: '$context.authorizer.tenant',
            keyId: '$context.authorizer.keyId',
            authorizerError: '$context.authorizer.error',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    this.suppressHealthRouteAuthorization();
  }

  /** The URL of the API, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  get url(): string {
    return this.httpApi.apiEndpoint;
  }

  private suppressHealthRouteAuthorization(): void {
    const open = [
      ['v1--health', 'GET /v1/health is deliberately open (load balancers, uptime checks); it returns only {status, stage}.'],
      ['queue--health', 'GET /queue/health is deliberately open (the analyze API\'s health check); it returns only the analysis queue\'s depths, no tenant data.'],
    ] as const;
    for (const [id, reason] of open) {
      const route = this.httpApi.node.children.find((child) => child.node.id.includes(id));
      if (!route) throw new Error(`JobApi: the route ${id} was not found to document its open access`);
      Validations.of(route).acknowledge({ id: 'AwsSolutions-APIG4', reason });
    }
  }
}
