import { GetEventSourceMappingCommand, InvalidParameterValueException, LambdaClient, ResourceNotFoundException, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqsEventSourceMapping } from '../../local/event-source-mapping.js';
import { localMappingUuid, startLocalLambda, type LocalLambdaServer } from '../../local/lambda.js';

/** A stand-in for the pollers: records start/stop, and holds stop() until released (an invocation under way). */
function fakeMapping() {
  const calls: string[] = [];
  let finish: () => void = () => undefined;
  const mapping = {
    start: () => void calls.push('start'),
    stop: () => {
      calls.push('stop');
      return new Promise<number>((resolve) => (finish = () => resolve(0)));
    },
  } as unknown as SqsEventSourceMapping;
  return { mapping, calls, finishInvocation: () => finish() };
}

let server: LocalLambdaServer;
let client: LambdaClient;
const uuid = localMappingUuid('conveyor-local-email-worker', 'arn:aws:sqs:us-east-1:000000000000:conveyor-local-email');
const pollers = fakeMapping();

beforeAll(async () => {
  server = await startLocalLambda();
  server.register({ uuid, functionName: 'conveyor-local-email-worker', eventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:conveyor-local-email', batchSize: 10, batchingWindowSeconds: 0, maxConcurrency: 5, mapping: pollers.mapping });
  client = new LambdaClient({ region: 'us-east-1', endpoint: server.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

afterAll(async () => {
  client?.destroy();
  await server?.close();
});

describe('Contract: the local Lambda API (event source mappings) through the real SDK client', () => {
  it('describes a registered mapping as Lambda does, started', async () => {
    // Act
    const mapping = await client.send(new GetEventSourceMappingCommand({ UUID: uuid }));

    // Assess
    expect(mapping).toMatchObject({
      UUID: uuid,
      State: 'Enabled',
      BatchSize: 10,
      EventSourceArn: 'arn:aws:sqs:us-east-1:000000000000:conveyor-local-email',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:conveyor-local-email-worker',
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(mapping.LastModified).toBeInstanceOf(Date);
    expect(pollers.calls).toEqual(['start']);
  });

  it('disables: Disabling while an invocation is under way, Disabled once it ends; enables again', async () => {
    // Act
    const disabling = await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    const meanwhile = await client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    pollers.finishInvocation();
    await new Promise((resolve) => setImmediate(resolve));
    const disabled = await client.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    const enabled = await client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: true }));

    // Assess
    expect([disabling.State, meanwhile.State, disabled.State, enabled.State]).toEqual(['Disabling', 'Disabling', 'Disabled', 'Enabled']);
    expect(pollers.calls).toEqual(['start', 'stop', 'start']);
  });

  it('answers an unknown UUID with ResourceNotFoundException and a change it cannot make with InvalidParameterValueException', async () => {
    // Act
    const missing = client.send(new GetEventSourceMappingCommand({ UUID: '00000000-0000-4000-a000-000000000000' }));
    const unsupported = client.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 5 }));

    // Assess
    await expect(missing).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(unsupported).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(unsupported).rejects.toThrow(/changes only Enabled; got BatchSize/);
  });

  it('derives the same UUID for the same mapping (stable across restarts), another for another queue', () => {
    expect(localMappingUuid('conveyor-local-email-worker', 'arn:aws:sqs:us-east-1:000000000000:conveyor-local-email')).toBe(uuid);
    expect(localMappingUuid('conveyor-local-email-worker', 'arn:aws:sqs:us-east-1:000000000000:conveyor-local-email-high')).not.toBe(uuid);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
