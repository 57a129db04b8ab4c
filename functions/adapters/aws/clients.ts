import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { endpointsOf, type ConveyorConfig } from '../../../shared/config/env.js';
import { LambdaMappingsClient } from './lambda-mappings-client.js';
import { S3ObjectClient } from './s3-object-client.js';
import { SesEmailClient } from './ses-email-client.js';
import { currentTracer, traced } from './tracing.js';

/*
 * Every SDK client a factory returns is captured by the X-Ray tracer when tracing was enabled at cold
 * start (tracing.ts `enableTracing`, before the first client is built); untouched otherwise. S3, SES
 * and Lambda are not SDK clients (see s3-object-client.ts, ses-email-client.ts): S3 and SES calls are
 * subsegments through the Tracer port instead; the Lambda control-plane call was never traced.
 */

/**
 * Where the SDK clients should point. On AWS every field is unset and the SDK uses its defaults.
 * Locally these are the standard `AWS_ENDPOINT_URL_*` variables, passed explicitly so that several
 * local clouds can live in one process (tests) — the SDK would read the same names from process.env.
 */
export interface AwsClientSettings {
  readonly region: string;
  readonly endpoints?: Partial<Record<'dynamodb' | 'sqs' | 'ses' | 'sesv2' | 's3' | 'lambda', string>>;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The settings of a config: its region and the local endpoint overrides (none on AWS). */
export function awsClientSettings(config: ConveyorConfig): AwsClientSettings {
  return { region: config.AWS_REGION, endpoints: endpointsOf(config) };
}

export interface AwsClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly ses: SesEmailClient;
  readonly s3: S3ObjectClient;
}

export function createDynamoClient(settings: AwsClientSettings): DynamoDBDocumentClient {
  // Captured before the document client wraps it: the wrapper shares the client's middleware stack.
  const base = traced(new DynamoDBClient({
    region: settings.region,
    ...(settings.endpoints?.dynamodb ? { endpoint: settings.endpoints.dynamodb } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 3,
  }));
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createSqsClient(settings: AwsClientSettings): SQSClient {
  return traced(new SQSClient({
    region: settings.region,
    ...(settings.endpoints?.sqs ? { endpoint: settings.endpoints.sqs } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Send every call to the configured endpoint, not to the host inside the QueueUrl: local
    // servers may hand out URLs on hosts that do not resolve here.
    useQueueUrlAsEndpoint: false,
    maxAttempts: 3,
  }));
}

/** Milliseconds an SES call may take before it counts as unanswered (see SesMailer on what that means). */
const SES_REQUEST_TIMEOUT_MS = 10_000;

/**
 * SES for its one call, SendEmail, without @aws-sdk/client-sesv2 (about 60 KB of the e-mail consumer's
 * bundle): same signer, transport and credentials (ses-email-client.ts). One try only: a retried
 * SendEmail could send the mail twice (SES has no idempotency token), so the job queue retries with
 * backoff instead, after the handler has checkpointed what it knows (functions/jobs/email/handler.ts).
 * A call that never answers fails after SES_REQUEST_TIMEOUT_MS (the local SES server hangs on unknown actions).
 */
export function createSesClient(settings: AwsClientSettings): SesEmailClient {
  return new SesEmailClient({
    region: settings.region,
    endpoint: settings.endpoints?.sesv2,
    credentials: settings.credentials,
    tracer: currentTracer(),
    requestTimeoutMs: SES_REQUEST_TIMEOUT_MS,
  });
}

/**
 * S3 for the four object calls Conveyor makes, without @aws-sdk/client-s3 (about 100 KB of every
 * consumer's bundle, and the API's): same signer, transport, credentials and retries (s3-object-client.ts).
 * A local endpoint (127.0.0.1:port) has no bucket subdomains: the client addresses buckets by path there.
 */
export function createS3Client(settings: AwsClientSettings): S3ObjectClient {
  return new S3ObjectClient({
    region: settings.region,
    endpoint: settings.endpoints?.s3,
    credentials: settings.credentials,
    tracer: currentTracer(),
  });
}

/** Lambda's control plane: the API pauses and resumes a job type's event source mappings (its one call, without @aws-sdk/client-lambda). */
export function createLambdaClient(settings: AwsClientSettings): LambdaMappingsClient {
  return new LambdaMappingsClient({
    region: settings.region,
    endpoint: settings.endpoints?.lambda,
    credentials: settings.credentials,
  });
}
