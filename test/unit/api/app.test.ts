import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../../functions/api/app.js';
import { JobService } from '../../../functions/api/job-service.js';
import { DynamoJobStore } from '../../../functions/adapters/aws/dynamo-job-store.js';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { keys as tableKeys } from '../../../shared/config/table.js';
import { newJobId, parseJobId } from '../../../shared/domain/job-id.js';
import { silentLogger } from '../../../shared/logging/logger.js';
import type { ApiKeyResolver } from '../../../shared/ports/api-keys.js';
import { analysisPayload } from '../../helpers/factories.js';

const dynamoMock = mockClient(DynamoDBDocumentClient);
const sqsMock = mockClient(SQSClient);

const keys: ApiKeyResolver = {
  resolve: async (key) => (key === 'good-key' ? { tenant: 'tenant-a', keyId: 'k1', scopes: ['jobs'] } : undefined),
};

function app() {
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
  const store = new DynamoJobStore({ client, tableName: 'jobs' });
  const queue = new SqsJobQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrls: { analysis: 'https://sqs.local/1/analysis', pdf: 'https://sqs.local/1/pdf' } });
  return createApiApp({ jobs: new JobService({ store, queue, logger: silentLogger }), keys, logger: silentLogger, stage: 'test' });
}

function post(body: unknown, headers: Record<string, string> = {}) {
  return app().request('/v1/jobs', {
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

  it('answers 415 for a body that is not JSON, 413 past 256 KB', async () => {
    const wrongType = await post('a=1', { 'content-type': 'application/x-www-form-urlencoded' });
    const tooBig = await post({ type: 'analysis', payload: analysisPayload({ description: 'x'.repeat(300 * 1024) }) });
    expect(wrongType.status).toBe(415);
    expect(tooBig.status).toBe(413);
    expect(await tooBig.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
  });

  it('fits a 100,000-cell table export in 256 KB only as one-digit numbers; 10-character text fits about 19,800 cells', async () => {
    // Prepare
    dynamoMock.on(PutCommand).resolves({});
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    const table = (rows: number, cell: number | string) => ({
      type: 'pdf',
      payload: { kind: 'table-export', data: { columns: Array.from({ length: 10 }, (_, i) => `c${i}`), rows: Array.from({ length: rows }, () => Array<number | string>(10).fill(cell)) } },
    });

    // Act
    const digits = await post(table(10_000, 7));
    const twoDigits = await post(table(10_000, 42));
    const text = await post(table(1_980, 'x'.repeat(10)));
    const moreText = await post(table(2_000, 'x'.repeat(10)));

    // Assess
    expect(JSON.stringify(table(10_000, 7)).length).toBeLessThan(230_000);
    expect([digits.status, twoDigits.status, text.status, moreText.status]).toEqual([202, 413, 202, 413]);
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
});
