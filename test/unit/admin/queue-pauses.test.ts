import { describe, expect, it } from 'vitest';
import { LambdaEventSources } from '../../../functions/adapters/aws/lambda-event-sources.js';
import type { EventSourceMappingUpdater } from '../../../functions/adapters/aws/lambda-mappings-client.js';
import { AwsServiceError } from '../../../functions/adapters/aws/signed-http.js';
import { QueuePauses } from '../../../functions/api/admin/queue-pauses.js';
import { ConfigurationError, DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { ConsumerSwitch, QueuePause, QueuePauseStore } from '../../../shared/ports/queue-pauses.js';

/** Lambda's control plane for unit tests of the error paths: answers from a script, records the calls (the client itself: test/unit/adapters/s3-object-client.test.ts, test/contract/light-clients.test.ts). */
function scriptedLambda(answers: readonly (Error | undefined)[], fallback?: Error): EventSourceMappingUpdater & { calls: { UUID: string; Enabled: boolean }[] } {
  const queue = [...answers];
  const calls: { UUID: string; Enabled: boolean }[] = [];
  return {
    calls,
    updateEventSourceMapping: async (input) => {
      calls.push({ ...input });
      const answer = queue.length ? queue.shift() : fallback;
      if (answer) throw answer;
    },
  };
}

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
  const sources = (client: EventSourceMappingUpdater, mappings: Record<string, string[]>) => new LambdaEventSources({ client, mappings, sleep: async () => undefined });

  it('switches every lane of the type, and only those', async () => {
    // Prepare
    const lambda = scriptedLambda([]);

    // Act
    await sources(lambda, { analysis: ['u-normal', 'u-high', 'u-low'], email: ['u-email'] }).setEnabled('analysis', false);

    // Assess
    expect(lambda.calls).toEqual([{ UUID: 'u-normal', Enabled: false }, { UUID: 'u-high', Enabled: false }, { UUID: 'u-low', Enabled: false }]);
  });

  it('tries again while a mapping is changing state (ResourceInUseException), then gives up as unavailable', async () => {
    // Prepare
    const busy = () => new AwsServiceError('ResourceInUseException', 'in use', 400, undefined, 1);
    const once = scriptedLambda([busy()]);
    const always = scriptedLambda([], busy());

    // Act
    await sources(once, { email: ['u-email'] }).setEnabled('email', true);
    const failed = sources(always, { email: ['u-email'] }).setEnabled('email', true);

    // Assess
    expect(once.calls).toHaveLength(2);
    await expect(failed).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(always.calls).toHaveLength(3);
  });

  it('reports throttling at once as unavailable (503, retry), and a type without mappings as a configuration error', async () => {
    // Prepare: the client has already retried throttling itself (signed-http.ts) before it throws
    const lambda = scriptedLambda([], new AwsServiceError('TooManyRequestsException', 'slow down', 429, undefined, 3));

    // Act / Assess
    await expect(sources(lambda, { email: ['u-email'] }).setEnabled('email', false)).rejects.toThrow(/UpdateEventSourceMapping u-email \(Enabled=false\) failed — TooManyRequestsException/);
    expect(lambda.calls).toHaveLength(1);
    await expect(sources(lambda, {}).setEnabled('pdf', false)).rejects.toBeInstanceOf(ConfigurationError);
  });
});
