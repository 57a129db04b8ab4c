import { DynamoDBClient, DynamoDBServiceException, ProvisionedThroughputExceededException, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { CreateScheduleCommand, SchedulerClient, SchedulerServiceException } from '@aws-sdk/client-scheduler';
import { QueueDoesNotExist, SendMessageCommand, SQSClient, SQSServiceException } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoApiKeys } from '../../../functions/adapters/aws/dynamo-api-keys.js';
import { DynamoJobListing } from '../../../functions/adapters/aws/dynamo-job-listing.js';
import { DynamoJobStore } from '../../../functions/adapters/aws/dynamo-job-store.js';
import { PageCursors } from '../../../functions/adapters/aws/page-cursor.js';
import { EventBridgeReleaseScheduler } from '../../../functions/adapters/aws/eventbridge-release-scheduler.js';
import { S3BlobStore } from '../../../functions/adapters/aws/s3-blob-store.js';
import type { S3ObjectClient } from '../../../functions/adapters/aws/s3-object-client.js';
import { AwsServiceError } from '../../../functions/adapters/aws/signed-http.js';
import { classifyAwsError } from '../../../functions/adapters/aws/sdk-errors.js';
import { SesEmailClient } from '../../../functions/adapters/aws/ses-email-client.js';
import { SesMailer } from '../../../functions/adapters/aws/ses-mailer.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { SqsWebhookQueue } from '../../../functions/adapters/aws/sqs-webhook-queue.js';
import { ConfigurationError, DependencyRequestError, DependencyUnavailableError, RetryableJobError } from '../../../shared/domain/errors.js';
import { newJobId } from '../../../shared/domain/job-id.js';
import { startScriptedServer } from '../../helpers/scripted-server.js';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);
const schedulerMock = mockClient(SchedulerClient);

afterEach(() => {
  dynamoMock.reset();
  sqsMock.reset();
  schedulerMock.reset();
});

const jobId = newJobId('tenant-a', new Date('2026-12-01T00:00:00Z'));
const store = () => new DynamoJobStore({ client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })), tableName: 'conveyor-prod-jobs' });
const queue = () => new SqsJobQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrls: { analysis: 'https://sqs.us-east-1.amazonaws.com/1/conveyor-prod-analysis' } });
const message = { jobId, type: 'analysis' };

function dynamoError(name: string, status = 400, fault: 'client' | 'server' = 'client'): DynamoDBServiceException {
  return new DynamoDBServiceException({ name, message: `${name} said no`, $fault: fault, $metadata: { httpStatusCode: status } });
}
function sqsError(name: string, status = 400): SQSServiceException {
  return new SQSServiceException({ name, message: `${name} said no`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}
/** What the SDK throws when no answer came back: no $fault, no status. */
function networkError(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { name: 'Error', code: 'ECONNREFUSED', $metadata: {} });
}

async function failure(work: () => Promise<unknown>): Promise<Error> {
  const error = await work().then(() => undefined, (e: unknown) => e as Error);
  if (!error) throw new Error('the call resolved; expected it to fail');
  return error;
}

describe('Function: classifyAwsError', () => {
  it.each([
    ['AccessDeniedException', 'configuration'],
    ['QueueDoesNotExist', 'configuration'],
    ['ResourceNotFoundException', 'configuration'],
    ['NoSuchBucket', 'configuration'],
    ['KmsAccessDenied', 'configuration'],
    ['ValidationException', 'bug'],
    ['InvalidParameterValue', 'bug'],
    ['SerializationException', 'bug'],
    ['ThrottlingException', 'unavailable'],
    ['ProvisionedThroughputExceededException', 'unavailable'],
    ['RequestThrottled', 'unavailable'],
  ])('%s → %s', (name, fault) => {
    expect(classifyAwsError(dynamoError(name))).toBe(fault);
  });

  it('a 5xx or a 429 is unavailable whatever its name; no answer at all is unavailable', () => {
    expect(classifyAwsError(dynamoError('InternalServerError', 500, 'server'))).toBe('unavailable');
    expect(classifyAwsError(dynamoError('SomethingNew', 503, 'server'))).toBe('unavailable');
    expect(classifyAwsError(dynamoError('SomethingNew', 429))).toBe('unavailable');
    expect(classifyAwsError(networkError())).toBe('unavailable');
    expect(classifyAwsError(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))).toBe('unavailable');
  });

  it('reads the query-protocol code SQS keeps in Code', () => {
    expect(classifyAwsError(Object.assign(sqsError('SomeName'), { Code: 'AWS.SimpleQueueService.NonExistentQueue' }))).toBe('configuration');
  });
});

describe('DynamoDB adapters', () => {
  it('a missing permission is a ConfigurationError naming the table, with the SDK error as cause', async () => {
    // Prepare
    const denied = dynamoError('AccessDeniedException');
    dynamoMock.on(GetCommand).rejects(denied);

    // Act
    const error = await failure(() => store().get(jobId));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ code: 'CONFIGURATION_ERROR', dependency: 'dynamodb', cause: denied });
    expect(error.message).toContain('AccessDeniedException');
  });

  it('a missing table is a ConfigurationError', async () => {
    // Prepare
    dynamoMock.on(PutCommand).rejects(new ResourceNotFoundException({ message: 'Requested resource not found', $metadata: { httpStatusCode: 400 } }));

    // Act
    const error = await failure(() => store().create({ jobId, tenant: 'tenant-a', type: 'analysis', status: 'QUEUED', attempt: 0, maxAttempts: 3, progress: 0, payload: {}, createdAt: '2026-12-01T00:00:00.000Z', updatedAt: '2026-12-01T00:00:00.000Z' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
  });

  it('a ValidationException is a bug (DependencyRequestError), not an outage', async () => {
    // Prepare
    dynamoMock.on(GetCommand).rejects(dynamoError('ValidationException'));

    // Act
    const error = await failure(() => store().get(jobId));

    // Assess
    expect(error).toBeInstanceOf(DependencyRequestError);
    expect(error).not.toBeInstanceOf(DependencyUnavailableError);
    expect(error).toMatchObject({ code: 'INTERNAL', dependency: 'dynamodb' });
  });

  it('throttling, a 5xx and a dropped connection stay DependencyUnavailableError', async () => {
    for (const cause of [new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } }), dynamoError('InternalServerError', 500, 'server'), networkError()]) {
      // Prepare
      dynamoMock.reset();
      dynamoMock.on(GetCommand).rejects(cause);

      // Act
      const error = await failure(() => store().get(jobId));

      // Assess
      expect(error, cause.name).toBeInstanceOf(DependencyUnavailableError);
    }
  });

  it('the listing and the API keys map the same way', async () => {
    // Prepare
    dynamoMock.on(QueryCommand).rejects(dynamoError('AccessDeniedException'));
    dynamoMock.on(GetCommand).rejects(dynamoError('ValidationException'));
    const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));

    // Act
    const listing = await failure(() => new DynamoJobListing({ client, tableName: 't', cursors: new PageCursors(async () => Buffer.alloc(32, 7)) }).list('tenant-a', { limit: 10 }));
    const keys = await failure(() => new DynamoApiKeys({ client, tableName: 't' }).resolve('cvk_x'));

    // Assess
    expect(listing).toBeInstanceOf(ConfigurationError);
    expect(keys).toBeInstanceOf(DependencyRequestError);
  });
});

describe('SQS adapters', () => {
  it('a queue that does not exist is a ConfigurationError', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } }));

    // Act
    const error = await failure(() => queue().send(message));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ dependency: 'sqs' });
  });

  it('a job type with no configured queue URL is a ConfigurationError naming CONVEYOR_QUEUE_URLS, not a 503', async () => {
    // Act
    const error = await failure(() => queue().send({ ...message, type: 'pdf' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('CONVEYOR_QUEUE_URLS');
    expect(sqsMock.calls()).toHaveLength(0);
  });

  it('a missing permission, a bad parameter and throttling map to their kinds', async () => {
    for (const [cause, kind] of [
      [sqsError('AccessDeniedException'), ConfigurationError],
      [sqsError('KmsAccessDenied'), ConfigurationError],
      [sqsError('InvalidParameterValue'), DependencyRequestError],
      [sqsError('RequestThrottled'), DependencyUnavailableError],
      [sqsError('InternalError', 500), DependencyUnavailableError],
    ] as const) {
      // Prepare
      sqsMock.reset();
      sqsMock.on(SendMessageCommand).rejects(cause);

      // Act
      const error = await failure(() => queue().send(message));

      // Assess
      expect(error, cause.name).toBeInstanceOf(kind);
    }
  });

  it('the webhook queue maps the same way', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(sqsError('AccessDeniedException'));
    const webhooks = new SqsWebhookQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrl: 'https://sqs.us-east-1.amazonaws.com/1/conveyor-prod-webhooks' });

    // Act
    const error = await failure(() => webhooks.enqueue({ jobId, tenant: 'tenant-a', callbackUrl: 'https://example.com/hook', body: '{}' }));

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toContain('conveyor-prod-webhooks');
  });
});

describe('S3, EventBridge Scheduler and SES adapters', () => {
  // S3 speaks through S3ObjectClient (no SDK client to mock): a client whose PutObject fails with the error S3 sent.
  const blobs = (cause: Error) => new S3BlobStore({ client: { putObject: async () => Promise.reject(cause) } as unknown as S3ObjectClient, bucket: 'conveyor-prod-documents' });

  it('S3: a missing bucket or permission is a ConfigurationError; a blip stays retryable for the job', async () => {
    for (const [cause, kind] of [
      [new AwsServiceError('NoSuchBucket', 'The specified bucket does not exist', 404, undefined, 1), ConfigurationError],
      [new AwsServiceError('AccessDenied', 'Access Denied', 403, undefined, 1), ConfigurationError],
      [new AwsServiceError('SlowDown', 'Please reduce your request rate.', 503, undefined, 3), RetryableJobError],
    ] as const) {
      // Act
      const error = await failure(() => blobs(cause).put('k.pdf', new Uint8Array([1]), { contentType: 'application/pdf' }));

      // Assess
      expect(error, cause.name).toBeInstanceOf(kind);
    }
  });

  it('EventBridge Scheduler: a missing schedule group is a ConfigurationError, a ValidationException a bug', async () => {
    for (const [cause, kind] of [
      [new SchedulerServiceException({ name: 'ResourceNotFoundException', message: 'Schedule group conveyor-prod does not exist.', $fault: 'client', $metadata: { httpStatusCode: 404 } }), ConfigurationError],
      [new SchedulerServiceException({ name: 'ValidationException', message: 'Invalid schedule expression', $fault: 'client', $metadata: { httpStatusCode: 400 } }), DependencyRequestError],
      [new SchedulerServiceException({ name: 'ThrottlingException', message: 'Rate exceeded', $fault: 'client', $metadata: { httpStatusCode: 400 } }), DependencyUnavailableError],
    ] as const) {
      // Prepare
      schedulerMock.reset();
      schedulerMock.on(CreateScheduleCommand).rejects(cause);
      const scheduler = new EventBridgeReleaseScheduler({ client: new SchedulerClient({ region: 'us-east-1' }), groupName: 'conveyor-prod', targetArn: 'arn:aws:lambda:us-east-1:1:function:f', roleArn: 'arn:aws:iam::1:role/r' });

      // Act
      const error = await failure(() => scheduler.scheduleRelease(jobId, new Date('2027-01-01T00:00:00Z')));

      // Assess
      expect(error, cause.name).toBeInstanceOf(kind);
    }
  });

  it('SES: a sender the role may not use is a ConfigurationError (retried, not failed for good)', async () => {
    // Prepare: SES (a scripted server: SesEmailClient is no SDK client to mock) answers as it does to a role without ses:SendEmail
    const ses = await startScriptedServer({ status: 403, body: '{"message":"not authorized to perform ses:SendEmail"}', headers: { 'x-amzn-errortype': 'AccessDeniedException' } });
    const mailer = new SesMailer({ client: new SesEmailClient({ region: 'us-east-1', endpoint: ses.endpoint, credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret' }, requestTimeoutMs: 10_000 }) });

    // Act
    const error = await failure(() => mailer.send({ from: 'a@example.com', to: ['b@example.com'], subject: 's', html: '<p>h</p>', text: 't' }));
    await ses.close();

    // Assess
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error).toMatchObject({ dependency: 'ses' });
  });
});
