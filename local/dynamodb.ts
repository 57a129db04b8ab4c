import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';
import { answerOnlyLoopbackHosts } from './loopback-host.js';

export interface LocalService {
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * DynamoDB on dynalite: in memory by default, on LevelDB under `path` for `npm start`.
 * dynalite lacks TransactWriteItems and UpdateTimeToLive (see DESIGN.md); Conveyor uses neither on
 * its hot path and filters `ttl` on reads.
 */
export async function startDynamo(options: { path?: string; port?: number } = {}): Promise<LocalService> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(options.path ? { path: options.path } : {}) });
  answerOnlyLoopbackHosts(server, 'DynamoDB');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // SDK clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}
