import { lookup as dnsLookup } from 'node:dns';
import { Agent, createServer, type ClientRequestArgs, type Server } from 'node:http';
import { connect, type AddressInfo, type LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressPolicy, type Resolver } from '../../../functions/webhooks/address-policy.js';
import { deliver } from '../../../functions/webhooks/delivery.js';

/**
 * A stand-in for the network: the agent resolves each connection's host the way Node would (through
 * the request's own `lookup`, or the system resolver when there is none) and routes the address it
 * gets to a local server. So the test sees which address delivery actually connected to.
 */
class FakeNetwork extends Agent {
  readonly dialed: string[] = [];
  constructor(private readonly routes: ReadonlyMap<string, number>) {
    super();
  }

  override createConnection(options: ClientRequestArgs, callback?: (error: Error | null, socket: Duplex) => void): Duplex | undefined {
    const lookup: LookupFunction = (options as { lookup?: LookupFunction }).lookup ?? dnsLookup;
    lookup(String(options.host), { family: 0 }, (error, address) => {
      const target = typeof address === 'string' ? address : undefined;
      if (error || !target) return callback?.(error ?? new Error('no address'), undefined as unknown as Duplex);
      this.dialed.push(target);
      const port = this.routes.get(target);
      if (port === undefined) return callback?.(new Error(`no route to ${target}`), undefined as unknown as Duplex);
      callback?.(null, connect(port, '127.0.0.1'));
    });
    return undefined;
  }
}

interface Hit {
  readonly server: 'public' | 'internal';
  readonly path: string;
  readonly host: string | undefined;
}
const hits: Hit[] = [];
let publicServer: Server;
let internalServer: Server;
let routes: Map<string, number>;

async function listen(name: Hit['server']): Promise<Server> {
  const server = createServer((request, response) => {
    hits.push({ server: name, path: request.url ?? '', host: request.headers.host });
    request.resume();
    request.on('end', () => response.writeHead(204).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

beforeAll(async () => {
  publicServer = await listen('public');
  internalServer = await listen('internal');
  // 93.184.215.14 stands for the receiver's public address; 127.0.0.1 for a service inside.
  routes = new Map([
    ['93.184.215.14', (publicServer.address() as AddressInfo).port],
    ['127.0.0.1', (internalServer.address() as AddressInfo).port],
  ]);
});

afterAll(async () => {
  await Promise.all([publicServer, internalServer].map((server) => new Promise<void>((resolve) => server?.close(() => resolve()))));
});

describe('Function: deliver (DNS pinning)', () => {
  it('connects to the address it checked, even when a second lookup of the name would answer a forbidden one', async () => {
    // Prepare: a rebinding resolver — a public address first, loopback ever after
    hits.length = 0;
    let lookups = 0;
    const rebinding: Resolver = async () => (lookups++ === 0 ? [{ address: '93.184.215.14', family: 4 }] : [{ address: '127.0.0.1', family: 4 }]);
    const network = new FakeNetwork(routes);

    // Act
    const result = await deliver(
      { jobId: 'job-1', tenant: 't', callbackUrl: 'http://hooks.example.test/hook?token=abc', body: '{"ok":true}' },
      { secret: 'whsec_unit_test_secret', policy: addressPolicy(''), resolve: rebinding, agent: network, timeoutMs: 5_000 },
    );

    // Assess
    expect(result).toEqual({ ok: true, status: 204 });
    expect(lookups).toBe(1);
    expect(network.dialed).toEqual(['93.184.215.14']);
    expect(hits).toEqual([{ server: 'public', path: '/hook?token=abc', host: 'hooks.example.test' }]);
  });

  it('refuses, without connecting, a name whose first answer is forbidden', async () => {
    hits.length = 0;
    const network = new FakeNetwork(routes);
    const result = await deliver(
      { jobId: 'job-2', tenant: 't', callbackUrl: 'http://hooks.example.test/hook', body: '{}' },
      { secret: 'whsec_unit_test_secret', policy: addressPolicy(''), resolve: async () => [{ address: '::ffff:0:7f00:1', family: 6 }], agent: network },
    );
    expect(result).toMatchObject({ ok: false, retry: false });
    expect(network.dialed).toEqual([]);
    expect(hits).toEqual([]);
  });
});
