import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SqsJobQueue } from '../../../functions/adapters/aws/sqs-job-queue.js';
import { messageOf } from '../../../functions/api/job-service.js';
import { analysisPayload, queuedJob } from '../../helpers/factories.js';

const sqsMock = mockClient(SQSClient);
afterEach(() => {
  sqsMock.reset();
});

describe('Method: SqsJobQueue.sendBatch', () => {
  it('sends 10 per SendMessageBatch call, per destination queue, and reports failed entries', async () => {
    // Prepare
    sqsMock.on(SendMessageBatchCommand).callsFake(async (input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.filter((e) => e.Id !== '3').map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}`, MD5OfMessageBody: '' })),
      Failed: input.Entries.filter((e) => e.Id === '3').map((e) => ({ Id: e.Id, Code: 'InternalError', SenderFault: false })),
    }));
    const queue = new SqsJobQueue({ client: new SQSClient({ region: 'us-east-1' }), queueUrls: { analysis: 'https://q/normal', 'analysis:high': 'https://q/high' } });
    const entries = Array.from({ length: 25 }, (_, i) => ({
      message: messageOf(queuedJob({ payload: analysisPayload(), ...(i < 5 ? { priority: 'high' as const } : {}) })),
      ...(i === 7 ? { delaySeconds: 30 } : {}),
    }));

    // Act
    const failed = await queue.sendBatch(entries);

    // Assess
    const calls = sqsMock.commandCalls(SendMessageBatchCommand).map((c) => c.args[0].input);
    expect(calls.map((c) => [c.QueueUrl, c.Entries?.length])).toEqual([
      ['https://q/high', 5],
      ['https://q/normal', 10],
      ['https://q/normal', 10],
    ]);
    expect(calls[1]?.Entries?.find((e) => e.Id === '7')?.DelaySeconds).toBe(30);
    expect([...failed]).toEqual([3]);
  });
});
