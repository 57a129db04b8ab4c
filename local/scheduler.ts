import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../shared/ports/logger.js';
import type { ReleaseScheduler } from '../shared/ports/release-scheduler.js';

/** Where the scheduler reads the time. Tests inject a ManualClock to cross days and DST changes. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: Date | number) {
    this.#now = typeof start === 'number' ? start : start.getTime();
  }
  now(): number {
    return this.#now;
  }
  set(to: Date | number): void {
    this.#now = typeof to === 'number' ? to : to.getTime();
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

/** A recurring entry: `next(after)` gives the first fire time strictly after `after` (epoch ms). */
export interface RecurringEntry {
  readonly id: string;
  next(after: number): number;
  fire(scheduledAt: number): Promise<void>;
}

export interface LocalSchedulerOptions {
  readonly clock?: Clock;
  /** How often due entries are looked for. EventBridge Scheduler's own precision is about a minute. */
  readonly tickMs?: number;
  readonly logger: Logger;
  /** Persist one-time releases here (JSON), so a restart of `npm start` keeps held jobs. */
  readonly storePath?: string;
  /** Called when a one-time release falls due; a throw retries it with backoff. */
  readonly release: (jobId: string, generation: number) => Promise<unknown>;
  /**
   * Invocations of a release before it is given up: 3, as Lambda tries an asynchronous invocation (the
   * first and two retries) before it hands the event to the function's on-failure destination.
   */
  readonly maxReleaseAttempts?: number;
  /** The on-failure destination: receives a release given up on (locally an SQS queue, as on AWS). */
  readonly onReleaseFailed?: (jobId: string, generation: number, error: unknown) => Promise<void>;
}

/** A task run every `everyMs` of the scheduler's clock (the recovery sweep's schedule rule). */
export interface PeriodicEntry {
  readonly id: string;
  readonly everyMs: number;
  run(): Promise<unknown>;
}

interface PendingRelease {
  jobId: string;
  /** The job's generation when it was scheduled (absent in stores written before edits: 0). */
  generation?: number;
  at: number;
  failures: number;
}

/** One schedule per job and generation, as EventBridge Scheduler names them. */
const releaseKey = (r: { jobId: string; generation?: number }) => (r.generation ? `${r.jobId}#${r.generation}` : r.jobId);

/**
 * The local cloud's scheduler, standing in for EventBridge Scheduler: one-time releases of held
 * jobs (as `at(…)` schedules) and recurring cron entries (as `cron(…)` schedules with a time zone).
 * It checks every `tickMs` against its clock. A failed release is retried with backoff (1 s, 2 s, …),
 * and after `maxReleaseAttempts` it goes to the failure destination and is dropped, as Lambda does with
 * an asynchronous invocation from EventBridge Scheduler; the recovery sweep then releases the job.
 * A recurring entry whose time passed while the process was asleep fires once, not once per missed
 * occurrence (no pile-up on wake-up); so does a periodic task (the sweep).
 */
export class LocalScheduler implements ReleaseScheduler {
  readonly #clock: Clock;
  readonly #options: LocalSchedulerOptions;
  readonly #pending = new Map<string, PendingRelease>();
  readonly #recurring = new Map<string, { entry: RecurringEntry; nextAt: number }>();
  readonly #periodic = new Map<string, { entry: PeriodicEntry; nextAt: number }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;

  constructor(options: LocalSchedulerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    for (const release of this.#load()) this.#pending.set(releaseKey(release), release);
  }

  get clock(): Clock {
    return this.#clock;
  }

  /** Held releases, soonest first (for the start-up log and tests). */
  get pendingReleases(): readonly { jobId: string; at: Date }[] {
    return [...this.#pending.values()].sort((a, b) => a.at - b.at).map((r) => ({ jobId: r.jobId, at: new Date(r.at) }));
  }

  /** Next fire time of each recurring entry. */
  get recurringEntries(): readonly { id: string; nextAt: Date }[] {
    return [...this.#recurring.values()].map(({ entry, nextAt }) => ({ id: entry.id, nextAt: new Date(nextAt) }));
  }

  scheduleRelease(jobId: string, runAt: Date, generation = 0): Promise<void> {
    const release = { jobId, ...(generation ? { generation } : {}), at: runAt.getTime(), failures: 0 };
    this.#pending.set(releaseKey(release), release);
    this.#save();
    return Promise.resolve();
  }

  addRecurring(entry: RecurringEntry): void {
    this.#recurring.set(entry.id, { entry, nextAt: entry.next(this.#clock.now()) });
  }

  addPeriodic(entry: PeriodicEntry): void {
    this.#periodic.set(entry.id, { entry, nextAt: this.#clock.now() + entry.everyMs });
  }

  start(): void {
    this.#timer ??= setInterval(() => void this.tick(), this.#options.tickMs ?? 250);
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  /** Fires everything due now. Overlapping calls share one pass. */
  tick(): Promise<void> {
    this.#ticking ??= this.#tick().finally(() => (this.#ticking = undefined));
    return this.#ticking;
  }

  async #tick(): Promise<void> {
    const now = this.#clock.now();
    const due = [...this.#pending.values()].filter((r) => r.at <= now);
    await Promise.all(due.map((release) => this.#release(release, now)));
    if (due.length) this.#save();
    for (const state of this.#recurring.values()) {
      if (state.nextAt > now) continue;
      const scheduledAt = state.nextAt;
      state.nextAt = state.entry.next(now);
      await state.entry.fire(scheduledAt).catch((error: unknown) => {
        this.#options.logger.error('local scheduler: recurring entry failed', { id: state.entry.id, scheduledAt: new Date(scheduledAt).toISOString(), error });
      });
    }
    for (const state of this.#periodic.values()) {
      if (state.nextAt > now) continue;
      state.nextAt = now + state.entry.everyMs;
      await state.entry.run().catch((error: unknown) => {
        this.#options.logger.error('local scheduler: periodic task failed', { id: state.entry.id, error });
      });
    }
  }

  async #release(release: PendingRelease, now: number): Promise<void> {
    try {
      await this.#options.release(release.jobId, release.generation ?? 0);
      this.#pending.delete(releaseKey(release));
    } catch (error) {
      release.failures++;
      if (release.failures >= (this.#options.maxReleaseAttempts ?? 3)) {
        // Given up, as Lambda gives up an asynchronous invocation: the event goes to the failure destination.
        this.#pending.delete(releaseKey(release));
        this.#options.logger.error('local scheduler: release failed on every attempt; sent to the failure destination', { jobId: release.jobId, failures: release.failures, error });
        await this.#options.onReleaseFailed?.(release.jobId, release.generation ?? 0, error).catch((destinationError: unknown) => {
          this.#options.logger.error('local scheduler: the failure destination refused the event; it is dropped', { jobId: release.jobId, error: destinationError });
        });
        return;
      }
      release.at = now + Math.min(60_000, 1_000 * 2 ** (release.failures - 1));
      this.#options.logger.warn('local scheduler: release failed; retrying', { jobId: release.jobId, failures: release.failures, error });
    }
  }

  #load(): PendingRelease[] {
    if (!this.#options.storePath) return [];
    try {
      const stored = JSON.parse(readFileSync(this.#options.storePath, 'utf8')) as { releases?: PendingRelease[] };
      return (stored.releases ?? []).filter((r) => typeof r.jobId === 'string' && Number.isFinite(r.at)).map((r) => ({ ...r, failures: 0 }));
    } catch {
      return [];
    }
  }

  #save(): void {
    if (!this.#options.storePath) return;
    mkdirSync(dirname(this.#options.storePath), { recursive: true });
    const temporary = `${this.#options.storePath}.tmp`;
    writeFileSync(temporary, JSON.stringify({ releases: [...this.#pending.values()] }));
    renameSync(temporary, this.#options.storePath);
  }
}
