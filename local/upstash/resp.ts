import { connect, type Socket } from 'node:net';

/** A RESP2 reply: simple string, error, integer, bulk string (null when absent) or array. */
export type RespValue = RespSimple | RespError | number | Buffer | null | RespValue[];

/** A status reply (`+OK`), kept apart from bulk strings: Upstash answers `OK` unencoded. */
export class RespSimple {
  constructor(readonly value: string) {}
}

/** An error reply (`-ERR …`): a value, not a thrown error, so a pipeline can report it per command. */
export class RespError {
  constructor(readonly message: string) {}
}

/** Encodes a command as a RESP array of bulk strings, the only form Redis accepts from clients. */
export function encodeCommand(args: readonly (string | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const arg of args) {
    const bytes = Buffer.from(String(arg), 'utf8');
    parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Incremental RESP2 parser: feed it chunks, it returns every complete reply. */
export class RespParser {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RespValue[] {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    const replies: RespValue[] = [];
    for (;;) {
      const parsed = this.#parse(0);
      if (!parsed) break;
      replies.push(parsed.value);
      this.#buffer = this.#buffer.subarray(parsed.end);
    }
    return replies;
  }

  #parse(start: number): { value: RespValue; end: number } | undefined {
    const lineEnd = this.#buffer.indexOf('\r\n', start);
    if (lineEnd < 0) return undefined;
    const type = String.fromCharCode(this.#buffer[start]!);
    const line = this.#buffer.toString('utf8', start + 1, lineEnd);
    const next = lineEnd + 2;
    switch (type) {
      case '+':
        return { value: new RespSimple(line), end: next };
      case '-':
        return { value: new RespError(line), end: next };
      case ':':
        return { value: Number(line), end: next };
      case '$': {
        const length = Number(line);
        if (length < 0) return { value: null, end: next };
        if (this.#buffer.length < next + length + 2) return undefined;
        return { value: Buffer.from(this.#buffer.subarray(next, next + length)), end: next + length + 2 };
      }
      case '*': {
        const count = Number(line);
        if (count < 0) return { value: null, end: next };
        const items: RespValue[] = [];
        let offset = next;
        for (let i = 0; i < count; i++) {
          const item = this.#parse(offset);
          if (!item) return undefined;
          items.push(item.value);
          offset = item.end;
        }
        return { value: items, end: offset };
      }
      default:
        throw new Error(`RESP: unexpected reply type ${JSON.stringify(type)}`);
    }
  }
}

/**
 * One Redis connection with pipelining: commands are written as they come and replies matched in
 * order (Redis answers a connection's commands in order). Commands written in one `sendAll` call
 * reach Redis back to back, so a MULTI … EXEC block cannot interleave with another request's.
 */
export class RespConnection {
  readonly #socket: Socket;
  readonly #parser = new RespParser();
  readonly #pending: { resolve: (value: RespValue) => void; reject: (error: Error) => void }[] = [];
  #closed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      let replies: RespValue[];
      try {
        replies = this.#parser.push(chunk);
      } catch (error) {
        this.#fail(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      for (const reply of replies) this.#pending.shift()?.resolve(reply);
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('redis connection closed')));
  }

  /** Connects to a unix socket path or a TCP `{ host, port }`. */
  static open(target: string | { host: string; port: number }): Promise<RespConnection> {
    return new Promise((resolve, reject) => {
      const socket = typeof target === 'string' ? connect({ path: target }) : connect(target);
      socket.once('connect', () => {
        socket.removeListener('error', reject);
        resolve(new RespConnection(socket));
      });
      socket.once('error', reject);
    });
  }

  send(args: readonly (string | number)[]): Promise<RespValue> {
    return this.sendAll([args]).then((replies) => replies[0] as RespValue);
  }

  sendAll(commands: readonly (readonly (string | number)[])[]): Promise<RespValue[]> {
    if (this.#closed) return Promise.reject(this.#closed);
    const replies = commands.map(
      () => new Promise<RespValue>((resolve, reject) => this.#pending.push({ resolve, reject })),
    );
    this.#socket.write(Buffer.concat(commands.map(encodeCommand)));
    return Promise.all(replies);
  }

  close(): void {
    this.#socket.end();
  }

  #fail(error: Error): void {
    this.#closed ??= error;
    for (const pending of this.#pending.splice(0)) pending.reject(error);
  }
}
