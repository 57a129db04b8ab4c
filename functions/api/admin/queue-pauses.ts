import type { Principal } from '../../../shared/ports/api-keys.js';
import type { ConsumerSwitch, QueuePause, QueuePauseStore } from '../../../shared/ports/queue-pauses.js';

/** What `POST /v1/queues/{type}/pause|resume` answers. */
export type PauseState = { readonly type: string; readonly paused: true; readonly pausedAt: string; readonly pausedBy: string } | { readonly type: string; readonly paused: false };

/**
 * Pausing a job type stops its consumer from receiving (every lane); enqueues go on, and jobs wait in
 * their queues until it is resumed. Nothing under way is interrupted.
 *
 * The switch is thrown first, then recorded: both steps are idempotent, so a failure of either is a
 * 503 the caller repeats, and the record never claims a pause the consumer does not have. (Recording
 * first would show a type as paused while its consumer still runs, had the switch then failed.)
 */
export class QueuePauses {
  constructor(private readonly deps: { readonly consumers: ConsumerSwitch; readonly store: QueuePauseStore; readonly now?: () => Date }) {}

  async pause(type: string, by: Principal): Promise<PauseState> {
    await this.deps.consumers.setEnabled(type, false);
    const pause = await this.deps.store.put({ type, pausedAt: (this.deps.now?.() ?? new Date()).toISOString(), pausedBy: by.keyId });
    return { type, paused: true, pausedAt: pause.pausedAt, pausedBy: pause.pausedBy };
  }

  async resume(type: string): Promise<PauseState> {
    await this.deps.consumers.setEnabled(type, true);
    await this.deps.store.remove(type);
    return { type, paused: false };
  }

  /** Every paused type, by type. */
  async paused(): Promise<ReadonlyMap<string, QueuePause>> {
    return new Map((await this.deps.store.list()).map((pause) => [pause.type, pause]));
  }
}
