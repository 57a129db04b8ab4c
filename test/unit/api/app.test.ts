import { ConditionalCheckFailedException, DynamoDBClient, DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { QueueDoesNotExist, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../../functions/api/app.js';
import { JobService } from '../../../functions/api/job-service.js';
import { DynamoJobStore } from '../../../functions/adapters/aws/dynamo-job-store.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { keys as tableKeys } from '../../../shared/config/table.js';
import { newJobId, parseJobId } from '../../../shared/domain/job-id.js';
import { JsonLogger, silentLogger } from '../../../shared/logging/logger.js';
import type { Logger } from '../../../shared/ports/logger.js';
import type { ApiKeyResolver } from '../../../shared/ports/api-keys.js';
import { analysisPayload } from '../../helpers/factories.js';
import { MemoryBlobStore } from '../../helpers/memory-blob-store.js';
import { JobData } from '../../../functions/job-data/job-data.js';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);

const keys: ApiKeyResolver = {
  resolve: async (key) => (key === 'good-key' ? { tenant: 'tenant-a', keyId: 'k1', scopes: ['jobs'] } : undefined),
};

function app(logger: Logger = silentLogger, jobData?: JobData) {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const store = new DynamoJobStore({ client, tableName: 'jobs' });
  const queue = new SqsJobQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrls: { analysis: 'https://sqs.local/1/analysis', pdf: 'https://sqs.local/1/pdf' } });
  return createApiApp({ jobs: new JobService({ store, queue, logger, jobData }), keys, logger, stage: 'test' });
}

/** A logger whose lines the test reads. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  return { lines, logger: new JsonLogger({ level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

function serviceError(name: string, status = 400): DynamoDBServiceException {
  return new DynamoDBServiceException({ name, message: `${name}: no`, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

/** A table-export PDF job of `rows` rows of 10 cells each. */
function table(rows: number, cell: number | string) {
  return {
    type: 'pdf',
    payload: { kind: 'table-export', data: { columns: Array.from({ length: 10 }, (_, i) => `c${i}`), rows: Array.from({ length: rows }, () => Array<number | string>(10).fill(cell)) } },
  };
}

function post(body: unknown, headers: Record<string, string> = {}, jobData?: JobData) {
  return app(silentLogger, jobData).request('/v1/jobs', {
    method: 'POST',
    headers: { authorization: 'Bearer good-key', 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('Function: createApiApp', () => {
  beforeEach(() => {
    dynamoMock.reset();
    sqsMock.reset();
  });
  afterEach(() => {
    dynamoMock.reset();
    sqsMock.reset();
  });

  it('writes the record, then sends the message, then answers 202', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    // Act
    const response = await post({ type: 'analysis', payload: analysisPayload() });

    // Assess
    expect(response.status).toBe(202);
    const body = (await response.json()) as { jobId: string; status: string; statusUrl: string };
    expect(body).toMatchObject({ status: 'QUEUED', statusUrl: `/v1/jobs/${body.jobId}` });
    const put = dynamoMock.commandCalls(PutCommand)[0]!.args[0].input;
    expect(put.ConditionExpression).toBe('attribute_not_exists(pk)');
    expect(put.Item).toMatchObject({ ...tableKeys.job(body.jobId), tenant: 'tenant-a', status: 'QUEUED', attempt: 0 });
    // The id carries the tenant's partition: the key follows from the id alone.
    expect(tableKeys.job(body.jobId)!.pk).toBe(tableKeys.tenantJobPartitions('tenant-a')[parseJobId(body.jobId)!.shard]);
    const sent = JSON.parse(sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!);
    expect(sent).toEqual({ jobId: body.jobId, type: 'analysis' });
  });

  it('answers 503 and sends nothing when the store is down', async () => {
    // Prepare
    dynamoMock.on(PutCommand).rejects(Object.assign(new Error('connect ECONNREFUSED'), { name: 'TimeoutError' }));

    // Act
    const response = await post({ type: 'analysis', payload: analysisPayload() });

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
    expect(await response.json()).toMatchObject({ error: { code: 'SERVICE_UNAVAILABLE' } });
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
  });

  it('answers 503 and discards the QUEUED record when the send fails', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    dynamoMock.on(DeleteCommand).resolves({});
    sqsMock.on(SendMessageCommand).rejects(Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable' }));

    // Act
    const response = await post({ type: 'analysis', payload: analysisPayload() });

    // Assess
    expect(response.status).toBe(503);
    const putItem = dynamoMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    const del = dynamoMock.commandCalls(DeleteCommand)[0]!.args[0].input;
    expect(del.Key).toEqual({ pk: putItem.pk, sk: putItem.sk });
    expect(del.ConditionExpression).toBe('#status = :queued');
  });

  it('still answers 503 when the discard after a failed send also fails', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    dynamoMock.on(DeleteCommand).rejects(new ConditionalCheckFailedException({ message: 'gone', $metadata: {} }));
    sqsMock.on(SendMessageCommand).rejects(new Error('down'));

    // Act
    const response = await post({ type: 'analysis', payload: analysisPayload() });

    // Assess
    expect(response.status).toBe(503);
  });

  it('answers 401 without a key and with an unknown key', async () => {
    const missing = await app().request('/v1/jobs/x');
    const unknown = await app().request('/v1/jobs/x', { headers: { authorization: 'Bearer nope' } });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect(unknown.status).toBe(401);
  });

  it('answers 400 with the path of each wrong field', async () => {
    // Act
    const response = await post({ type: 'analysis', payload: analysisPayload({ url: 'ftp://x', extra: 1 }) });

    // Assess
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; issues: { path: string }[] } };
    expect(body.error.code).toBe('VALIDATION_FAILED');
    expect(body.error.issues.map((i) => i.path).sort()).toEqual(['payload.extra', 'payload.url']);
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('answers 415 for a body that is not JSON, 413 past 5 MiB', async () => {
    const wrongType = await post('a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    const tooBig = await post({ type: 'analysis', payload: analysisPayload({ description: 'x'.repeat(5 * 1024 * 1024) }) });
    expect(wrongType.status).toBe(415);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('without a job-data store, takes a payload only as large as its record holds (384 KB): a larger one is 413 naming payload', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });

    // Act
    const fits = await post(table(10_000, 42));
    const tooLarge = await post(table(10_000, 'x'.repeat(5)));

    // Assess
    expect(JSON.stringify(table(10_000, 42)).length).toBeGreaterThan(300_000);
    expect(fits.status).toBe(202);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE', issues: [{ path: 'payload' }] } });
    expect(dynamoMock.commandCalls(PutCommand)).toHaveLength(1);
  });

  it('with a job-data store, uploads a payload over 4 KB first and writes the record with its reference, not the payload', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const blobs = new MemoryBlobStore();
    const body = table(10_000, 'x'.repeat(5));

    // Act
    const response = await post(body, {}, new JobData({ blobs, logger: silentLogger, urlTtlSeconds: 60 }));

    // Assess
    expect(response.status).toBe(202);
    const { jobId } = (await response.json()) as { jobId: string };
    const item = dynamoMock.commandCalls(PutCommand)[0]!.args[0].input.Item!;
    expect(item.payload).toBeUndefined();
    const stored = Buffer.from(JSON.stringify(body.payload));
    expect(item.payloadRef).toEqual({ bytes: stored.byteLength, sha256: createHash('sha256').update(stored).digest('hex') });
    expect([...blobs.objects.keys()]).toEqual([`tenants/tenant-a/jobs/${jobId}/payload-${(item.payloadRef as { sha256: string }).sha256}.json`]);
    expect(JSON.stringify(item).length).toBeLessThan(1_024);
  });

  it('deletes the uploaded payload when the message cannot be sent and the record was discarded', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    dynamoMock.on(DeleteCommand).resolves({});
    sqsMock.on(SendMessageCommand).rejects(new Error('queue down'));
    const blobs = new MemoryBlobStore();

    // Act
    const response = await post(table(1_000, 'x'.repeat(5)), {}, new JobData({ blobs, logger: silentLogger, urlTtlSeconds: 60 }));

    // Assess: 503, no record, no object
    expect(response.status).toBe(503);
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(1);
    expect(blobs.objects.size).toBe(0);
  });

  it('keeps the uploaded payload when the record write failed (it may have landed); the lifecycle rule removes an orphan', async () => {
    // Prepare
    dynamoMock.on(PutCommand).rejects(new Error('throttled'));
    const blobs = new MemoryBlobStore();

    // Act
    const response = await post(table(1_000, 'x'.repeat(5)), {}, new JobData({ blobs, logger: silentLogger, urlTtlSeconds: 60 }));

    // Assess: 503, no message; the object stays for the lifecycle rule
    expect(response.status).toBe(503);
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0);
    expect(blobs.objects.size).toBe(1);
  });

  it('answers 404 for another tenant’s job, exactly as for a missing one', async () => {
    // Prepare
    const jobId = newJobId('tenant-b');
    dynamoMock.on(GetCommand).resolves({ Item: { ...tableKeys.job(jobId), tenant: 'tenant-b', status: 'QUEUED' } });

    // Act
    const response = await app().request(`/v1/jobs/${jobId}`, { headers: { authorization: 'Bearer good-key' } });

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ error: { code: 'NOT_FOUND', message: `job ${jobId} not found` } });
  });

  it('answers 503 when the store is down on read', async () => {
    dynamoMock.on(GetCommand).rejects(new Error('unreachable'));
    const response = await app().request(`/v1/jobs/${newJobId('tenant-a')}`, { headers: { authorization: 'Bearer good-key' } });
    expect(response.status).toBe(503);
  });

  it('answers 500 CONFIGURATION_ERROR, not 503, when the queue does not exist — and logs it at error level with its cause', async () => {
    // Prepare
    const { lines, logger } = capture();
    dynamoMock.on(PutCommand).resolves({});
    dynamoMock.on(DeleteCommand).resolves({});
    sqsMock.on(SendMessageCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: { httpStatusCode: 400 } }));

    // Act
    const response = await app(logger).request('/v1/jobs', { method: 'POST', headers: { authorization: 'Bearer good-key', 'content-type': 'application/json' }, body: JSON.stringify({ type: 'analysis', payload: analysisPayload() }) });

    // Assess
    expect(response.status).toBe(500);
    expect(response.headers.get('retry-after')).toBeNull();
    expect(await response.json()).toMatchObject({ error: { code: 'CONFIGURATION_ERROR' } });
    const failure = lines.find((l) => l.message === 'request failed');
    expect(failure).toMatchObject({ level: 'ERROR', code: 'CONFIGURATION_ERROR', error: { name: 'ConfigurationError', dependency: 'sqs', cause: { name: 'QueueDoesNotExist' } } });
    // Nothing half-written: the record of the job that could not be queued is discarded.
    expect(dynamoMock.commandCalls(DeleteCommand)).toHaveLength(1);
  });

  it('answers 500 CONFIGURATION_ERROR when the function may not read its table', async () => {
    // Prepare
    dynamoMock.on(GetCommand).rejects(serviceError('AccessDeniedException'));

    // Act
    const response = await app().request(`/v1/jobs/${newJobId('tenant-a')}`, { headers: { authorization: 'Bearer good-key' } });

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toMatchObject({ error: { code: 'CONFIGURATION_ERROR' } });
  });

  it('answers 500 INTERNAL for a ValidationException and logs it loudly, without leaking it to the caller', async () => {
    // Prepare
    const { lines, logger } = capture();
    dynamoMock.on(GetCommand).rejects(serviceError('ValidationException'));

    // Act
    const response = await app(logger).request(`/v1/jobs/${newJobId('tenant-a')}`, { headers: { authorization: 'Bearer good-key' } });

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
    expect(lines.find((l) => l.message === 'request failed')).toMatchObject({ level: 'ERROR', code: 'INTERNAL', error: { name: 'DependencyRequestError', cause: { name: 'ValidationException' } } });
  });

  it('answers 503 with Retry-After when DynamoDB throttles', async () => {
    // Prepare
    dynamoMock.on(GetCommand).rejects(serviceError('ProvisionedThroughputExceededException'));

    // Act
    const response = await app().request(`/v1/jobs/${newJobId('tenant-a')}`, { headers: { authorization: 'Bearer good-key' } });

    // Assess
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('1');
  });
});

describe('Function: createApiApp — correlation', () => {
  beforeEach(() => {
    dynamoMock.reset();
    sqsMock.reset();
    dynamoMock.on(PutCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  });
  afterEach(() => {
    dynamoMock.reset();
    sqsMock.reset();
  });

  const enqueue = (logger: Logger, headers: Record<string, string>, env?: unknown) =>
    app(logger).request('/v1/jobs', { method: 'POST', headers: { authorization: 'Bearer good-key', 'content-type': 'application/json', ...headers }, body: JSON.stringify({ type: 'analysis', payload: analysisPayload() }) }, env as never);

  it('takes API Gateway\'s request id as the correlation id: on the record, as a message attribute (not in the body), echoed and logged', async () => {
    // Prepare
    const { lines, logger } = capture();

    // Act
    const response = await enqueue(logger, {}, { requestContext: { requestId: 'Jv8i_jAPoAMEJHw=' }, lambdaContext: { awsRequestId: 'lambda-req-1', functionName: 'conveyor-test-api', memoryLimitInMB: '256' } });

    // Assess
    expect(response.status).toBe(202);
    expect(response.headers.get('x-correlation-id')).toBe('Jv8i_jAPoAMEJHw=');
    expect(dynamoMock.commandCalls(PutCommand)[0]!.args[0].input.Item).toMatchObject({ correlationId: 'Jv8i_jAPoAMEJHw=' });
    const sent = sqsMock.commandCalls(SendMessageCommand)[0]!.args[0].input;
    expect(sent.MessageAttributes).toEqual({ correlationId: { DataType: 'String', StringValue: 'Jv8i_jAPoAMEJHw=' } });
    expect(JSON.parse(sent.MessageBody!)).not.toHaveProperty('correlationId');
    expect(lines.find((l) => l.message === 'request')).toMatchObject({ level: 'INFO', correlationId: 'Jv8i_jAPoAMEJHw=', function_request_id: 'lambda-req-1', cold_start: true, method: 'POST', path: '/v1/jobs', status: 202 });
  });

  it('prefers a valid x-correlation-id from the caller, and ignores an invalid one', async () => {
    // Act
    const valid = await enqueue(silentLogger, { 'x-correlation-id': 'order-4711' }, { requestContext: { requestId: 'gw-1' } });
    const tooLong = await enqueue(silentLogger, { 'x-correlation-id': 'x'.repeat(41) }, { requestContext: { requestId: 'gw-2' } });
    const spaces = await enqueue(silentLogger, { 'x-correlation-id': 'has spaces' }, { requestContext: { requestId: 'gw-3' } });

    // Assess
    expect([valid, tooLong, spaces].map((r) => r.headers.get('x-correlation-id'))).toEqual(['order-4711', 'gw-2', 'gw-3']);
    expect(dynamoMock.commandCalls(PutCommand).map((call) => call.args[0].input.Item!.correlationId)).toEqual(['order-4711', 'gw-2', 'gw-3']);
  });

  it('shows the stored correlation id in GET /v1/jobs/{id}', async () => {
    // Prepare
    const jobId = newJobId('tenant-a');
    dynamoMock.on(GetCommand).resolves({ Item: { ...tableKeys.job(jobId), tenant: 'tenant-a', type: 'analysis', status: 'QUEUED', attempt: 0, maxAttempts: 3, progress: 0, payload: {}, correlationId: 'order-4711' } });

    // Act
    const response = await app().request(`/v1/jobs/${jobId}`, { headers: { authorization: 'Bearer good-key' } });

    // Assess
    expect(await response.json()).toMatchObject({ jobId, correlationId: 'order-4711' });
  });
});
