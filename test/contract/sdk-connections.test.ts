import { createConnection, createServer, type AddressInfo, type Server } from 'node:net';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoClient, createS3Client, createSesClient, createSqsClient, type AwsClientSettings } from '../../functions/adapters/aws/clients.js';
import { startDynamo, type LocalService } from '../../local/dynamodb.js';
import { startS3 } from '../../local/s3.js';
import { startSes } from '../../local/ses.js';
import { startSqsServer } from '../../local/sqs/server.js';

/** A TCP proxy in front of a local server that counts the connections clients open through it. */
async function countingProxy(target: string): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  let connections = 0;
  const server: Server = createServer((inbound) => {
    connections++;
    const outbound = createConnection({ host: hostname, port: Number(port) });
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
    inbound.on('close', () => outbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
    }),
  };
}

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const services: LocalService[] = [];
const proxies: Awaited<ReturnType<typeof countingProxy>>[] = [];
let settings: AwsClientSettings;

beforeAll(async () => {
  const [dynamo, sqs, s3, ses] = await Promise.all([startDynamo(), startSqsServer(), startS3({ buckets: ['b'], credentials }), startSes()]);
  services.push(dynamo, sqs, s3, ses);
  const [dynamodb, sqsProxy, s3Proxy, sesProxy] = await Promise.all([dynamo, sqs, s3, ses].map((s) => countingProxy(s.endpoint)));
  proxies.push(dynamodb!, sqsProxy!, s3Proxy!, sesProxy!);
  settings = { region: 'us-east-1', credentials, endpoints: { dynamodb: dynamodb!.url, sqs: sqsProxy!.url, s3: s3Proxy!.url, sesv2: sesProxy!.url } };
});

afterAll(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  await Promise.all(services.map((s) => s.close()));
});

// The SDK keeps connections alive by default, and every request after the first rides the same
// socket (no TCP handshake, nor TLS on AWS): a short DynamoDB or SQS call costs less than a new
// connection. https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-reusing-connections.html
// A client that passed its own agent or handler could lose that; these pin it for every factory.
describe('Contract: the functions\' SDK clients reuse their connections', () => {
  it.each([
    ['DynamoDB', 0, () => {
      const client = createDynamoClient(settings);
      return { call: () => client.send(new ListTablesCommand({})), destroy: () => client.destroy() };
    }],
    ['SQS', 1, () => {
      const client = createSqsClient(settings);
      return { call: () => client.send(new ListQueuesCommand({})), destroy: () => client.destroy() };
    }],
    ['S3', 2, () => {
      const client = createS3Client(settings);
      return { call: () => client.putObject({ bucket: 'b', key: 'k' }, new Uint8Array([1]), { contentType: 'text/plain' }), destroy: () => client.destroy() };
    }],
    ['SES', 3, () => {
      const client = createSesClient(settings);
      const mail = { FromEmailAddress: 'jobs@example.com', Destination: { ToAddresses: ['a@example.com'] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'b' } } } } };
      return { call: () => client.sendEmail(mail), destroy: () => client.destroy() };
    }],
  ] as const)('%s: five calls in a row open one connection', async (_name, proxyIndex, create) => {
    // Prepare
    const proxy = proxies[proxyIndex]!;
    const before = proxy.connections();
    const client = create();

    // Act
    for (let i = 0; i < 5; i++) await client.call();
    client.destroy();

    // Assess
    expect(proxy.connections() - before).toBe(1);
  });
});
