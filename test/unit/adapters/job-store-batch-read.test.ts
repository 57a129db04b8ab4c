import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoJobStore } from '../../../functions/adapters/aws/dynamo-job-store.js';
import { keys } from '../../../shared/config/table.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import { queuedJob } from '../../helpers/factories.js';

const dynamoMock = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  dynamoMock.reset();
});

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const itemOf = (job: ReturnType<typeof queuedJob>) => {
  const { jobId: _id, ...rest } = job;
  return { ...keys.job(job.jobId)!, ...rest };
};

describe('Method: DynamoJobStore.getMany — keys DynamoDB left unprocessed', () => {
  it('asks again for the unprocessed keys after a wait, and returns every record', async () => {
    // Prepare: the first answer leaves one key unprocessed (the table throttled), the second has it
    const [first, second] = [queuedJob(), queuedJob()];
    dynamoMock.on(BatchGetCommand)
      .resolvesOnce({ Responses: { jobs: [itemOf(first!)] }, UnprocessedKeys: { jobs: { Keys: [keys.job(second!.jobId)!] } } })
      .resolvesOnce({ Responses: { jobs: [itemOf(second!)] } });
    const store = new DynamoJobStore({ client, tableName: 'jobs', unprocessedRetryDelaysMs: [1] });

    // Act
    const found = await store.getMany([first!.jobId, second!.jobId]);

    // Assess: the second call asks for the leftover key only, consistently
    const calls = dynamoMock.commandCalls(BatchGetCommand).map((c) => c.args[0].input.RequestItems?.jobs);
    expect(calls).toEqual([
      { Keys: [keys.job(first!.jobId), keys.job(second!.jobId)], ConsistentRead: true },
      { Keys: [keys.job(second!.jobId)], ConsistentRead: true },
    ]);
    expect([...found.keys()]).toEqual([first!.jobId, second!.jobId]);
  });

  it('fails as unavailable when keys stay unprocessed after its waits', async () => {
    // Prepare
    const job = queuedJob();
    dynamoMock.on(BatchGetCommand).resolves({ Responses: { jobs: [] }, UnprocessedKeys: { jobs: { Keys: [keys.job(job.jobId)!] } } });
    const store = new DynamoJobStore({ client, tableName: 'jobs', unprocessedRetryDelaysMs: [1, 1] });

    // Act
    const reading = store.getMany([job.jobId]);

    // Assess
    await expect(reading).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(dynamoMock.commandCalls(BatchGetCommand)).toHaveLength(3);
  });
});
