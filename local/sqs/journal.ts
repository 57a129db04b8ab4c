import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DeduplicationRecord } from './fifo.js';
import type { MessageContent } from './messages.js';
import type { MessageState } from './queue.js';

/**
 * Durability for the local SQS server: an append-only journal of every change to queues and messages,
 * one JSON line each, written synchronously (`writeSync`) before the API call answers. A restart
 * replays it, so queued, delayed and in-flight messages survive with their receive counts and
 * deadlines — what a job queue must keep across a restart. A journal rather than periodic snapshots
 * because a snapshot loses whatever changed since the last one when the process dies, and a lost
 * SendMessage is a job whose record says QUEUED forever. A FIFO queue's deduplication window is
 * journalled too (one `dedup` line per accepted key), so a producer retrying across a restart still
 * gets its duplicate recognised; a FIFO group's order is its messages' sequence, which every line
 * carries, and its lock is its in-flight message, restored in flight. The journal is compacted
 * (rewritten from the live state) when it is opened, every `compactEveryLines` lines, and on close.
 *
 * Limits: lines reach the OS on each write but are not fsync'ed, so a process crash loses nothing but
 * a power cut can lose the tail. Receipt handles do not survive a restart (each queue gets a new
 * incarnation), as if every consumer's handle had expired.
 */

export interface QueueMeta {
  readonly name: string;
  readonly attributes: Record<string, string>;
  readonly tags: Record<string, string>;
}

/** A message as it is journalled and restored. Times are epoch ms. */
export interface MessageImage {
  readonly seq: number;
  readonly messageId: string;
  readonly content: MessageContent;
  readonly sentTimestamp: number;
  readonly senderId: string;
  readonly deadLetterSourceArn?: string;
  /** FIFO queues only. */
  readonly deduplicationId?: string;
  readonly state: MessageState;
  /** When a delayed or in-flight message becomes visible. */
  readonly dueAt: number;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp?: number;
  readonly lastReceiveTimestamp: number;
}

export type JournalEntry =
  | { readonly op: 'queue'; readonly meta: QueueMeta }
  | { readonly op: 'dropQueue'; readonly name: string }
  | { readonly op: 'put'; readonly queue: string; readonly message: MessageImage }
  | { readonly op: 'receive'; readonly queue: string; readonly seq: number; readonly receiveCount: number; readonly at: number; readonly dueAt: number }
  | { readonly op: 'visibility'; readonly queue: string; readonly seq: number; readonly dueAt: number }
  | { readonly op: 'forget'; readonly queue: string; readonly seq: number }
  | { readonly op: 'dedup'; readonly queue: string; readonly record: DeduplicationRecord }
  | { readonly op: 'purge'; readonly queue: string };

export interface JournalState {
  readonly queues: Map<string, { meta: QueueMeta; messages: Map<number, MessageImage> }>;
  /** FIFO deduplication keys per queue; expired ones are dropped when the queue restores them. */
  readonly deduplication: Map<string, Map<string, DeduplicationRecord>>;
}

export class SqsJournal {
  readonly path: string;
  readonly #compactEveryLines: number;
  #fd: number | undefined;
  #linesSinceCompaction = 0;

  constructor(path: string, options: { compactEveryLines?: number } = {}) {
    this.path = path;
    this.#compactEveryLines = options.compactEveryLines ?? 200_000;
  }

  /** Reads the journal (if any) into the state it describes. A torn last line (a crash mid-write) is ignored. */
  load(): JournalState {
    const state: JournalState = { queues: new Map(), deduplication: new Map() };
    if (!existsSync(this.path)) return state;
    const lines = readFileSync(this.path, 'utf8').split('\n');
    for (const [index, line] of lines.entries()) {
      if (!line) continue;
      let entry: JournalEntry;
      try {
        entry = JSON.parse(line) as JournalEntry;
      } catch (error) {
        if (index >= lines.length - 2) break; // the last line, cut short by a crash
        throw new Error(`SQS journal ${this.path}: line ${index + 1} is corrupt`, { cause: error });
      }
      apply(state, entry);
    }
    return state;
  }

  /** Rewrites the journal as the given state (atomically: temp file, then rename) and keeps appending to it. */
  rewrite(entries: Iterable<JournalEntry>): void {
    this.close();
    mkdirSync(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.tmp`;
    const fd = openSync(temporary, 'w');
    try {
      let chunk = '';
      for (const entry of entries) {
        chunk += `${JSON.stringify(entry)}\n`;
        if (chunk.length > 1 << 20) {
          writeSync(fd, chunk);
          chunk = '';
        }
      }
      if (chunk) writeSync(fd, chunk);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.path);
    this.#fd = openSync(this.path, 'a');
    this.#linesSinceCompaction = 0;
  }

  /** Appends one change. Returns true when the journal has grown enough to be compacted. */
  append(entry: JournalEntry): boolean {
    if (this.#fd === undefined) return false;
    writeSync(this.#fd, `${JSON.stringify(entry)}\n`);
    return ++this.#linesSinceCompaction >= this.#compactEveryLines;
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

function apply(state: JournalState, entry: JournalEntry): void {
  if (entry.op === 'queue') {
    const existing = state.queues.get(entry.meta.name);
    if (existing) existing.meta = entry.meta;
    else state.queues.set(entry.meta.name, { meta: entry.meta, messages: new Map() });
    return;
  }
  if (entry.op === 'dropQueue') {
    state.queues.delete(entry.name);
    state.deduplication.delete(entry.name);
    return;
  }
  if (entry.op === 'dedup') {
    if (!state.queues.has(entry.queue)) return;
    let records = state.deduplication.get(entry.queue);
    if (!records) state.deduplication.set(entry.queue, (records = new Map()));
    records.set(entry.record.key, entry.record);
    return;
  }
  const queue = state.queues.get(entry.queue);
  if (!queue) return;
  switch (entry.op) {
    case 'put':
      queue.messages.set(entry.message.seq, entry.message);
      return;
    case 'receive': {
      const message = queue.messages.get(entry.seq);
      if (message) {
        queue.messages.set(entry.seq, {
          ...message,
          state: 'inflight',
          receiveCount: entry.receiveCount,
          firstReceiveTimestamp: message.firstReceiveTimestamp ?? entry.at,
          lastReceiveTimestamp: entry.at,
          dueAt: entry.dueAt,
        });
      }
      return;
    }
    case 'visibility': {
      const message = queue.messages.get(entry.seq);
      if (message) queue.messages.set(entry.seq, { ...message, dueAt: entry.dueAt });
      return;
    }
    case 'forget':
      queue.messages.delete(entry.seq);
      return;
    case 'purge':
      queue.messages.clear();
      return;
  }
}
