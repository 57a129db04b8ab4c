import { JobCancelledError, TransitionConflictError } from '../../shared/domain/errors.js';
import type { JobRecord } from '../../shared/domain/job.js';
import { sourcesOf } from '../../shared/domain/status.js';
import type { JobStore, Transition } from '../../shared/ports/job-store.js';
import { retryWhileUnavailable } from './retry-unavailable.js';

export interface AttemptWriterOptions {
  readonly store: JobStore;
  readonly jobId: string;
  readonly attempt: number;
  /** The SQS message (and its receive count) this attempt runs from; recorded with the claim as the job's holder. */
  readonly holder?: { readonly messageId: string; readonly receiveCount: number };
  readonly now: () => number;
  /** RUNNING is written lazily: after this long (with the progress reported so far), or at the first progress call after it. */
  readonly runningWriteDelayMs: number;
  /** At most one progress write per this interval; later values coalesce into a trailing write. */
  readonly progressIntervalMs: number;
  /** Called when a write shows the job must stop (cancelled, or taken over by a newer delivery). */
  readonly onStop: (reason: Error) => void;
  /** Extra conditions every status write of this attempt carries (the message's generation). */
  readonly guard?: Pick<Transition, 'expectGeneration'>;
  /** Waits before trying the RUNNING write again when the store is unavailable (the worker's own). */
  readonly retryDelaysMs?: readonly number[];
}

/**
 * The store writes of one attempt, in order and priced: a job that ends within `runningWriteDelayMs`
 * without reporting progress writes nothing here — its only write is the terminal one. Writes are
 * serialised on one chain so a late progress write can never land after the terminal write.
 */
export class AttemptWriter {
  readonly #options: AttemptWriterOptions;
  readonly startedAt: string;
  readonly #startedAtMs: number;
  #chain: Promise<void> = Promise.resolve();
  #runningWritten = false;
  #lastWriteAt = 0;
  #progress = 0;
  #message: string | undefined;
  #writtenProgress = -1;
  #runningTimer: NodeJS.Timeout | undefined;
  #trailingTimer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(options: AttemptWriterOptions) {
    this.#options = options;
    this.#startedAtMs = options.now();
    this.startedAt = new Date(this.#startedAtMs).toISOString();
  }

  get progress(): number {
    return this.#progress;
  }

  get message(): string | undefined {
    return this.#message;
  }

  get guard(): Pick<Transition, 'expectGeneration'> {
    return this.#options.guard ?? {};
  }

  get runningWritten(): boolean {
    return this.#runningWritten;
  }

  /** Starts the lazy-RUNNING timer. */
  start(): void {
    this.#runningTimer = setTimeout(() => void this.#enqueue(() => this.#writeRunning()), this.#options.runningWriteDelayMs);
    this.#runningTimer.unref?.();
  }

  /** Writes RUNNING now (eager claim). Throws TransitionConflictError when the job may not run. */
  async claim(): Promise<void> {
    await this.#enqueue(() => this.#writeRunning(), { rethrow: true });
  }

  /** Records progress; awaits the write when one is due now. */
  async report(percent: number, message?: string): Promise<void> {
    const value = Math.max(this.#progress, Math.min(100, Math.max(0, Math.round(percent))));
    const changed = value !== this.#progress || (message !== undefined && message !== this.#message);
    this.#progress = value;
    if (message !== undefined) this.#message = message.slice(0, 200);
    if (!changed || this.#closed) return;
    if (!this.#runningWritten) {
      // Within the lazy-RUNNING delay, progress stays in memory: the RUNNING write at the delay
      // carries it, and a job that ends first never writes it at all (its terminal write does). So a
      // fast job costs one write however often it reports — each avoided write is $0.625 per million
      // jobs, twice that while the tenant index copies every write.
      if (this.#options.now() - this.#startedAtMs < this.#options.runningWriteDelayMs) return;
      return this.#enqueue(() => this.#writeRunning());
    }
    const wait = this.#lastWriteAt + this.#options.progressIntervalMs - this.#options.now();
    if (wait <= 0) return this.#enqueue(() => this.#writeProgress());
    if (!this.#trailingTimer) {
      this.#trailingTimer = setTimeout(() => {
        this.#trailingTimer = undefined;
        void this.#enqueue(() => this.#writeProgress());
      }, wait);
      this.#trailingTimer.unref?.();
    }
  }

  /** Stops timers and waits for writes under way; the terminal write then carries the last progress. */
  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#runningTimer);
    clearTimeout(this.#trailingTimer);
    await this.#chain;
  }

  #enqueue(write: () => Promise<void>, options: { rethrow?: boolean } = {}): Promise<void> {
    const next = this.#chain.then(() => (this.#closed && !options.rethrow ? undefined : write()));
    // Background writes must never leave an unhandled rejection; failures surface through onStop
    // (conflicts) or are simply retried by the next write / the terminal write (store errors).
    this.#chain = next.catch(() => undefined);
    return options.rethrow ? next : next.catch(() => undefined);
  }

  async #writeRunning(): Promise<void> {
    if (this.#runningWritten) return;
    clearTimeout(this.#runningTimer);
    const { store, jobId, attempt } = this.#options;
    const transition: Transition = {
      jobId,
      from: sourcesOf('RUNNING'),
      to: 'RUNNING',
      // Only the attempt after the recorded one may claim: a RUNNING job is taken over once its lease
      // ran out (delivery.ts), and of two deliveries racing for the same attempt the first claim wins.
      attemptAtMost: attempt - 1,
      ...this.guard,
      set: {
        attempt,
        startedAt: this.startedAt,
        progress: this.#progress,
        ...(this.#message !== undefined ? { progressMessage: this.#message } : {}),
        ...(this.#options.holder ? { messageId: this.#options.holder.messageId, receiveCount: this.#options.holder.receiveCount } : {}),
      },
      // The message arrived, so whatever said its send was pending (and the sweep entry) goes.
      remove: ['nextAttemptAt', 'sendPending', 'sweepAt'],
    };
    try {
      const record = await this.#retried(() => store.transition(transition));
      this.#runningWritten = true;
      this.#afterWrite(record);
    } catch (error) {
      if (!(error instanceof TransitionConflictError)) throw error;
      // A try whose answer was lost may have landed: then the record already names this attempt and
      // this delivery, and the claim is ours (else a claim that landed would count an attempt that never ran).
      const record = await store.get(jobId, { consistent: true }).catch(() => undefined);
      if (record && this.#isOwnClaim(record)) {
        this.#runningWritten = true;
        this.#afterWrite(record);
        return;
      }
      this.#options.onStop(error);
      throw error;
    }
  }

  #isOwnClaim(record: JobRecord): boolean {
    const { attempt, holder, guard } = this.#options;
    return record.status === 'RUNNING' && record.attempt === attempt && holder !== undefined &&
      record.messageId === holder.messageId && record.receiveCount === holder.receiveCount &&
      (guard?.expectGeneration === undefined || (record.generation ?? 0) === guard.expectGeneration);
  }

  #retried<T>(call: () => Promise<T>): Promise<T> {
    return retryWhileUnavailable(call, this.#options.retryDelaysMs ?? []);
  }

  async #writeProgress(): Promise<void> {
    if (this.#progress === this.#writtenProgress && this.#message === undefined) return;
    const { store, jobId, attempt } = this.#options;
    try {
      this.#afterWrite(await store.recordProgress(jobId, attempt, this.#progress, this.#message));
    } catch (error) {
      if (error instanceof TransitionConflictError) this.#options.onStop(error);
      throw error;
    }
  }

  #afterWrite(record: JobRecord): void {
    this.#lastWriteAt = this.#options.now();
    this.#writtenProgress = record.progress;
    if (record.cancelRequested) this.#options.onStop(new JobCancelledError());
  }
}
