import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as sesLocal from 'aws-ses-v2-local';
import type { LocalService } from './dynamodb.js';

export interface LocalSes extends LocalService {
  /** The web inbox: every e-mail sent, rendered, with its HTML and text parts. */
  readonly inboxUrl: string;
  /** The inbox as JSON (`GET /store`), for tests. */
  readonly storeUrl: string;
}

type StartSes = (config?: { host?: string; port?: number }) => Promise<Server>;

/**
 * SES v2 on aws-ses-v2-local: SendEmail stores the message in memory and shows it in a web inbox.
 * It accepts any sender (no identity verification) and keeps one store per process, shared by all
 * instances — tests tell their messages apart by message id or recipient.
 */
export async function startSes(options: { port?: number } = {}): Promise<LocalSes> {
  // A CommonJS module with `exports.default`: Node's ESM loader and bundlers disagree on where the
  // function lands, so take whichever is callable.
  const moduleDefault = sesLocal.default as unknown as StartSes | { default: StartSes };
  const start = typeof moduleDefault === 'function' ? moduleDefault : moduleDefault.default;
  const server = await start({ host: '127.0.0.1', port: options.port ?? 0 });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    inboxUrl: `${endpoint}/`,
    storeUrl: `${endpoint}/store`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The inbox page and SDK clients keep connections alive; close them so stop() is prompt.
        server.closeAllConnections();
      }),
  };
}
