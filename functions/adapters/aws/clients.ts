import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Where the SDK clients should point. On AWS every field is unset and the SDK uses its defaults.
 * Locally these are the standard `AWS_ENDPOINT_URL_*` variables, passed explicitly so that several
 * local clouds can live in one process (tests) — the SDK would read the same names from process.env.
 */
export interface AwsClientSettings {
  readonly region: string;
  readonly endpoints?: Partial<Record<'dynamodb' | 'sqs' | 'ses' | 'sesv2' | 's3', string>>;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

export interface AwsClients {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
}

export function createDynamoClient(settings: AwsClientSettings): DynamoDBDocumentClient {
  const base = new DynamoDBClient({
    region: settings.region,
    ...(settings.endpoints?.dynamodb ? { endpoint: settings.endpoints.dynamodb } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    maxAttempts: 3,
  });
  return DynamoDBDocumentClient.from(base, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

export function createSqsClient(settings: AwsClientSettings): SQSClient {
  return new SQSClient({
    region: settings.region,
    ...(settings.endpoints?.sqs ? { endpoint: settings.endpoints.sqs } : {}),
    ...(settings.credentials ? { credentials: settings.credentials } : {}),
    // Send every call to the configured endpoint, not to the host inside the QueueUrl: local
    // servers may hand out URLs on hosts that do not resolve here.
    useQueueUrlAsEndpoint: false,
    maxAttempts: 3,
  });
}

export function createAwsClients(settings: AwsClientSettings): AwsClients {
  return { dynamo: createDynamoClient(settings), sqs: createSqsClient(settings) };
}
