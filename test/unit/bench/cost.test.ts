import { describe, expect, it } from 'vitest';
import { itemSize, numberSize, readUnits, toAttributeMap, writeUnits } from '../../../bench/cost/item-size.js';
import { AwsMeter, type IndexSpec, type OperationTotals } from '../../../bench/cost/meter.js';
import { baselines, billedMs, costOf } from '../../../bench/cost/model.js';

/** A stand-in for an SDK client's middleware stack: keeps the meter's middleware to call it by hand. */
function fakeClient() {
  let middleware: ((next: (args: object) => Promise<object>, context: object) => (args: object) => Promise<object>) | undefined;
  const client = { middlewareStack: { add: (mw: typeof middleware) => void (middleware = mw) } };
  const call = async (commandName: string, input: object, output: object, fails = false) => {
    const next = async () => {
      if (fails) throw new Error('ConditionalCheckFailedException');
      return { output };
    };
    return middleware!(next, { commandName })({ input }).catch(() => undefined);
  };
  return { client, call };
}

const tenantIndex = (projection: IndexSpec['projection']): IndexSpec[] => [{ partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection }];

describe('Function: itemSize', () => {
  it('counts names and values as DynamoDB bills them', () => {
    // Prepare: 'pk' (2) + 'JOB#1' (5); 'n' (1) + 12345 (5 digits → 3 bytes + 1); 'ok' (2) + bool (1);
    // 'm' (1) + map (3 + 'a' (1) + 'xy' (2) + 1) = 8; 'l' (1) + list (3 + ('z' 1 + 1)) = 6
    const item = toAttributeMap({ pk: 'JOB#1', n: 12345, ok: true, m: { a: 'xy' }, l: ['z'] });

    // Act
    const size = itemSize(item);

    // Assess
    expect(size).toBe(7 + 5 + 3 + 8 + 6);
  });

  it('trims leading and trailing zeros of numbers', () => {
    expect(numberSize('100')).toBe(2);
    expect(numberSize('0.001')).toBe(2);
    expect(numberSize('1796037656')).toBe(6);
  });

  it('rounds writes per KB and reads per 4 KB, halving eventually consistent reads', () => {
    expect(writeUnits(0)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025, 10)).toBe(2);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(100, false)).toBe(0.5);
  });
});

describe('Class: AwsMeter', () => {
  const put = { TableName: 't', Item: toAttributeMap({ pk: 'JOB#1', gsi1pk: 'TENANT#a', gsi1sk: '2026#1', status: 'QUEUED' }) };
  const update = { TableName: 't', Key: toAttributeMap({ pk: 'JOB#1' }), ExpressionAttributeValues: toAttributeMap({ ':to': 'SUCCEEDED' }) };
  const updated = { Attributes: { pk: 'JOB#1', gsi1pk: 'TENANT#a', gsi1sk: '2026#1', status: 'SUCCEEDED', result: 'x'.repeat(1_100) } };

  it('bills a write on the larger of the old and new item, and copies it to an ALL-projection index', async () => {
    // Prepare
    const meter = new AwsMeter({ indexes: tenantIndex('ALL'), whatIf: { keysOnly: tenantIndex('KEYS_ONLY'), none: [] } });
    const { client, call } = fakeClient();
    meter.attach(client, 'dynamodb');

    // Act
    await call('PutItemCommand', put, {});
    await call('UpdateItemCommand', update, updated);

    // Assess
    const byOperation = Object.fromEntries(meter.snapshot().map((t) => [t.operation, t]));
    expect(byOperation.PutItem).toMatchObject({ calls: 1, writeUnits: 1, indexWriteUnits: 1, indexWriteUnitsIf: { keysOnly: 1, none: 0 } });
    // The new item is over 1 KB: 2 units on the table and 2 on the index; a KEYS_ONLY index is untouched.
    expect(byOperation['UpdateItem → SUCCEEDED']).toMatchObject({ calls: 1, writeUnits: 2, indexWriteUnits: 2, indexWriteUnitsIf: { keysOnly: 0, none: 0 } });
  });

  it('knows items by partition and sort key: two jobs in one partition are billed each on its own size', async () => {
    // Prepare
    const meter = new AwsMeter();
    const { client, call } = fakeClient();
    meter.attach(client, 'dynamodb');
    await call('PutItemCommand', { TableName: 't', Item: toAttributeMap({ pk: 'JOBS#abcdef#0', sk: 'b', status: 'QUEUED' }) }, {});
    await call('PutItemCommand', { TableName: 't', Item: toAttributeMap({ pk: 'JOBS#abcdef#0', sk: 'a', blob: 'x'.repeat(1_500) }) }, {});

    // Act: a small update of the small item (the large one, written after it, shares its partition key)
    await call('UpdateItemCommand', { TableName: 't', Key: toAttributeMap({ pk: 'JOBS#abcdef#0', sk: 'b' }), ExpressionAttributeValues: toAttributeMap({ ':to': 'SUCCEEDED' }) }, { Attributes: { pk: 'JOBS#abcdef#0', sk: 'b', status: 'SUCCEEDED' } });

    // Assess
    const byOperation = Object.fromEntries(meter.snapshot().map((t) => [t.operation, t]));
    expect(byOperation['UpdateItem → SUCCEEDED']).toMatchObject({ writeUnits: 1, indexWriteUnits: 0 });
  });

  it('bills a failed conditional write on the existing item', async () => {
    // Prepare
    const meter = new AwsMeter({ indexes: [] });
    const { client, call } = fakeClient();
    meter.attach(client, 'dynamodb');
    await call('PutItemCommand', put, {});

    // Act
    await call('UpdateItemCommand', update, {}, true);

    // Assess
    expect(meter.snapshot().find((t) => t.operation.startsWith('UpdateItem'))).toMatchObject({ calls: 1, failed: 1, writeUnits: 1, indexWriteUnits: 0 });
  });

  it('bills a batch read per item, each rounded up to 4 KB, as GetItem would be', async () => {
    // Prepare: two small items and one of 5 KB, read strongly consistent
    const meter = new AwsMeter();
    const { client, call } = fakeClient();
    meter.attach(client, 'dynamodb');
    const items = [{ pk: 'JOBS#a#0', sk: '1' }, { pk: 'JOBS#a#0', sk: '2' }, { pk: 'JOBS#a#0', sk: '3', blob: 'x'.repeat(5 * 1024) }];

    // Act
    await call('BatchGetItemCommand', { RequestItems: { t: { ConsistentRead: true, Keys: items.map(({ pk, sk }) => toAttributeMap({ pk, sk })) } } }, { Responses: { t: items } });

    // Assess: 1 + 1 + 2 read units in one call
    expect(meter.snapshot().find((t) => t.operation === 'BatchGetItem')).toMatchObject({ calls: 1, readUnits: 4 });
  });

  it('counts SQS requests per 64 KB chunk and receives with their messages', async () => {
    // Prepare
    const meter = new AwsMeter();
    const { client, call } = fakeClient();
    meter.attach(client, 'sqs');

    // Act
    await call('SendMessageCommand', { MessageBody: 'x'.repeat(64 * 1024 + 1) }, {});
    await call('ReceiveMessageCommand', {}, { Messages: [{ Body: 'a' }, { Body: 'b' }] });
    await call('ReceiveMessageCommand', {}, { Messages: [] });

    // Assess
    const byOperation = Object.fromEntries(meter.snapshot().map((t) => [t.operation, t]));
    expect(byOperation.SendMessage).toMatchObject({ calls: 1, billedRequests: 2 });
    expect(byOperation.ReceiveMessage).toMatchObject({ calls: 2, billedRequests: 2, messages: 2, emptyReceives: 1 });
  });
});

describe('Function: costOf', () => {
  it('prices each part per job and sums them', () => {
    // Prepare: 10 jobs, one receive/delete/consumer invocation for all of them.
    const operations: OperationTotals[] = [
      { service: 'sqs', operation: 'SendMessage', calls: 10, failed: 0, billedRequests: 10, messages: 0, emptyReceives: 0, readUnits: 0, writeUnits: 0, indexWriteUnits: 0, indexWriteUnitsIf: {}, maxItemBytes: 0 },
      { service: 'dynamodb', operation: 'PutItem', calls: 10, failed: 0, billedRequests: 0, messages: 0, emptyReceives: 0, readUnits: 0, writeUnits: 10, indexWriteUnits: 10, indexWriteUnitsIf: { none: 0 }, maxItemBytes: 500 },
    ];
    const usage = {
      jobs: 10,
      httpApiRequests: 10,
      api: { memoryMb: 1024, invocations: 10, billedMs: 10 * 1000 },
      worker: { memoryMb: 512, invocations: 1, billedMs: 2000 },
      operations,
    };

    // Act
    const cost = costOf(usage);

    // Assess: HTTP $1 + Lambda $0.20 + 1 GB-s/job $13.3334 + SQS $0.40 + worker $0.02 + 0.1 GB-s/job $1.33334 + 2 WRU $1.25
    const byPart = Object.fromEntries(cost.lines.map((l) => [l.part, l.usdPerMillionJobs]));
    expect(byPart['API Gateway HTTP API']).toBeCloseTo(1.0, 6);
    expect(byPart['API Lambda duration (1024 MB)']).toBeCloseTo(13.3334, 4);
    expect(byPart['Consumer Lambda requests']).toBeCloseTo(0.02, 6);
    expect(byPart['Consumer Lambda duration (512 MB)']).toBeCloseTo(1.33334, 4);
    expect(byPart['DynamoDB PutItem index writes']).toBeCloseTo(0.625, 6);
    expect(cost.totalUsdPerMillionJobs).toBeCloseTo(1 + 0.2 + 13.3334 + 0.4 + 0.02 + 1.33334 + 1.25, 4);
    expect(cost.totalIf.none).toBeCloseTo(cost.totalUsdPerMillionJobs - 0.625, 6);
  });

  it('rounds each invocation up to the millisecond', () => {
    expect(billedMs(0.2)).toBe(1);
    expect(billedMs(12.01)).toBe(13);
  });

  it('prices the naive baselines of issue 8 from the same table', () => {
    const [rest, http, qstash] = baselines();
    expect(rest?.usdPerMillionJobs).toBeCloseTo(6.8, 6);
    expect(http?.usdPerMillionJobs).toBeCloseTo(4.3, 6);
    expect(qstash?.usdPerMillionJobs).toBeCloseTo(10, 6);
  });
});
