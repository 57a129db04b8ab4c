import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import * as sesLocal from 'aws-ses-v2-local';
import * as sesStore from 'aws-ses-v2-local/dist/store.js';
import type { LocalService } from './dynamodb.js';
import { assertPortFree } from './ports.js';
import { answerOnlyLoopbackHosts } from './loopback-host.js';

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
 * instances — tests tell their messages apart by message id or recipient. With `storeFile`, the
 * inbox survives a restart: mails are appended to it (one JSON line each) as they arrive and loaded
 * back at start; clearing the inbox (`POST /clear-store`) empties it.
 */
export async function startSes(options: { port?: number; storeFile?: string } = {}): Promise<LocalSes> {
  // A CommonJS module with `exports.default`: Node's ESM loader and bundlers disagree on where the
  // function lands, so take whichever is callable.
  const moduleDefault = sesLocal.default as unknown as StartSes | { default: StartSes };
  const start = typeof moduleDefault === 'function' ? moduleDefault : moduleDefault.default;
  // aws-ses-v2-local resolves a busy port as a server that is not listening: check it first.
  await assertPortFree('ses', options.port ?? 0);
  const journal = options.storeFile ? new InboxFile(options.storeFile) : undefined;
  const server = await start({ host: '127.0.0.1', port: options.port ?? 0 });
  if (!server.listening) throw new Error(`local SES could not listen on port ${options.port ?? 0}`);
  answerOnlyLoopbackHosts(server, 'SES and mail inbox');
  // Every request that may have stored or cleared mail is followed by a sync of the file.
  if (journal) server.on('request', (_request, response) => response.once('finish', () => journal.sync()));
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

/** The inbox's mails on disk: loaded into the (per-process) store at start, appended as they come. */
class InboxFile {
  readonly #path: string;
  readonly #written = new Set<string>();

  constructor(path: string) {
    this.#path = path;
    mkdirSync(dirname(path), { recursive: true });
    const store = sesStore.getStoreReadonly();
    const present = new Set(store.emails.map((email) => email.messageId));
    const saved = existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as sesStore.Email) : [];
    for (const email of saved) {
      this.#written.add(email.messageId);
      if (!present.has(email.messageId)) store.emails.push(email);
    }
    store.emails.sort((a, b) => a.at - b.at);
  }

  sync(): void {
    const { emails } = sesStore.getStoreReadonly();
    if (emails.length < this.#written.size) {
      // The inbox was cleared: the file holds what the store holds.
      writeFileSync(this.#path, emails.map((email) => `${JSON.stringify(email)}\n`).join(''));
      this.#written.clear();
      for (const email of emails) this.#written.add(email.messageId);
      return;
    }
    for (const email of emails) {
      if (this.#written.has(email.messageId)) continue;
      appendFileSync(this.#path, `${JSON.stringify(email)}\n`);
      this.#written.add(email.messageId);
    }
  }
}
