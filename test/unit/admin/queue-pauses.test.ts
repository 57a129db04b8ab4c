import { LambdaClient, ResourceInUseException, TooManyRequestsException, UpdateEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaEventSources } from '../../../functions/adapters/aws/lambda-event-sources.js';
import { QueuePauses } from '../../../functions/api/admin/queue-pauses.js';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { ConsumerSwitch, QueuePause, QueuePauseStore } from '../../../shared/ports/queue-pauses.js';

const lambda = mockClient(LambdaClient);
afterEach(() => lambda.reset());

const operator = { tenant: 'ops', keyId: 'key-ops', scopes: ['operator' as const] };

function memoryPauses(): QueuePauseStore & { items: Map<string, QueuePause> } {
  const items = new Map<string, QueuePause>();
  return {
    items,
    put: async (pause) => {
      if (!items.has(pause.type)) items.set(pause.type, pause);
      return items.get(pause.type)!;
    },
    remove: async (type) => void items.delete(type),
    list: async () => [...items.values()],
  };
}

describe('Class: QueuePauses', () => {
  it('records nothing when the consumer could not be switched (no pause is claimed that did not happen)', async () => {
    // Prepare
    const store = memoryPauses();
    const consumers: ConsumerSwitch = { setEnabled: async () => Promise.reject(new DependencyUnavailableError('lambda', 'down')) };
    const pauses = new QueuePauses({ consumers, store });

    // Act
    const outcome = pauses.pause('email', operator);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(store.items.size).toBe(0);
  });

  it('keeps the first pause’s time and key when paused again, and forgets it on resume', async () => {
    // Prepare
    const store = memoryPauses();
    const switched: [string, boolean][] = [];
    const pauses = new QueuePauses({ consumers: { setEnabled: async (type, on) => void switched.push([type, on]) }, store, now: () => new Date('2026-12-01T08:00:00Z') });
    await pauses.pause('email', operator);

    // Act
    const again = await new QueuePauses({ consumers: { setEnabled: async () => undefined }, store, now: () => new Date('2026-12-01T09:00:00Z') }).pause('email', { ...operator, keyId: 'other' });
    const resumed = await pauses.resume('email');

    // Assess
    expect(again).toEqual({ type: 'email', paused: true, pausedAt: '2026-12-01T08:00:00.000Z', pausedBy: 'key-ops' });
    expect(resumed).toEqual({ type: 'email', paused: false });
    expect(switched).toEqual([['email', false], ['email', true]]);
    expect((await pauses.paused()).size).toBe(0);
  });
});

describe('Class: LambdaEventSources', () => {
  const sources = (mappings: Record<string, string[]>) => new LambdaEventSources({ client: new LambdaClient({ region: 'eu-west-1' }), mappings, sleep: async () => undefined });

  it('switches every lane of the type, and only those', async () => {
    // Prepare
    lambda.on(UpdateEventSourceMappingCommand).resolves({ State: 'Disabling' });

    // Act
    await sources({ analysis: ['u-normal', 'u-high', 'u-low'], email: ['u-email'] }).setEnabled('analysis', false);

    // Assess
    const calls = lambda.commandCalls(UpdateEventSourceMappingCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([{ UUID: 'u-normal', Enabled: false }, { UUID: 'u-high', Enabled: false }, { UUID: 'u-low', Enabled: false }]);
  });

  it('tries again while a mapping is changing state (ResourceInUseException), then gives up as unavailable', async () => {
    // Prepare
    const busy = new ResourceInUseException({ message: 'in use', $metadata: {} });
    lambda.on(UpdateEventSourceMappingCommand).rejectsOnce(busy).resolves({});

    // Act
    await sources({ email: ['u-email'] }).setEnabled('email', true);
    lambda.reset();
    lambda.on(UpdateEventSourceMappingCommand).rejects(busy);
    const failed = sources({ email: ['u-email'] }).setEnabled('email', true);

    // Assess
    await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)).toHaveLength(3);
  });

  it('reports throttling at once as unavailable (503, retry), and a type without mappings as a configuration error', async () => {
    // Prepare
    lambda.on(UpdateEventSourceMappingCommand).rejects(new TooManyRequestsException({ message: 'slow down', $metadata: {} }));

    // Act / Assess
    await expect(sources({ email: ['u-email'] }).setEnabled('email', false)).rejects.toThrow(/UpdateEventSourceMapping u-email \(Enabled=false\) failed — TooManyRequestsException/);
    expect(lambda.commandCalls(UpdateEventSourceMappingCommand)).toHaveLength(1);
    await expect(sources({}).setEnabled('pdf', false)).rejects.toBeInstanceOf(ConfigurationError);
  });
});
