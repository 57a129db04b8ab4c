import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../shared/domain/errors.js';
import { assertPortFree, localPorts, PortInUseError } from '../../../local/ports.js';

describe('Function: localPorts', () => {
  it('derives every service port from PORT (3000 by default)', () => {
    expect(localPorts({})).toEqual({ api: 3000, dynamodb: 3001, sqs: 3002, ses: 3003, s3: 3004, upstash: 3005, lambda: 3006 });
    expect(localPorts({ PORT: '4100' })).toEqual({ api: 4100, dynamodb: 4101, sqs: 4102, ses: 4103, s3: 4104, upstash: 4105, lambda: 4106 });
  });

  it('lets each service be moved on its own, and PORT=0 pick free ports for all', () => {
    expect(localPorts({ PORT: '4100', CONVEYOR_SES_PORT: '8005', CONVEYOR_DYNAMODB_PORT: '8000' })).toMatchObject({ api: 4100, dynamodb: 8000, sqs: 4102, ses: 8005 });
    expect(Object.values(localPorts({ PORT: '0' }))).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('refuses a bad value or two services on one port, naming the variable', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ PORT: 'abc' }, /PORT must be a port number from 0 to 65529, got "abc"/],
      [{ PORT: '65535' }, /PORT must be a port number/],
      [{ CONVEYOR_SQS_PORT: '-1' }, /CONVEYOR_SQS_PORT must be a port number/],
      [{ PORT: '4100', CONVEYOR_S3_PORT: '4101' }, /CONVEYOR_S3_PORT=4101 is also the port of local DynamoDB \(CONVEYOR_DYNAMODB_PORT\)/],
    ];
    for (const [env, message] of cases) {
      expect(() => localPorts(env), JSON.stringify(env)).toThrow(ConfigurationError);
      expect(() => localPorts(env), JSON.stringify(env)).toThrow(message);
    }
  });
});

describe('Function: assertPortFree', () => {
  let holder: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (holder ? holder.close(resolve) : resolve(undefined)));
    holder = undefined;
  });

  it('names the service, the port and what to do when another process holds it', async () => {
    // Prepare
    holder = createServer();
    await new Promise<void>((resolve) => holder!.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;

    // Act
    const error = await assertPortFree('sqs', port).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(PortInUseError);
    expect((error as PortInUseError).advice).toBe(`Cannot start: port ${port} (local SQS) is already in use — another \`npm start\`? Stop what holds it, or set CONVEYOR_SQS_PORT to another port, or PORT to move every service.`);
    await expect(assertPortFree('sqs', 0)).resolves.toBeUndefined();
  });
});
