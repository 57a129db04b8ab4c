/** A paused job type: its messages wait in their queues until it is resumed. */
export interface QueuePause {
  readonly type: string;
  /** When it was paused (ISO); a second pause keeps the first one's time. */
  readonly pausedAt: string;
  /** The keyId of the API key that paused it. */
  readonly pausedBy: string;
}

/** Where pauses are recorded, so every API instance (and the queue overview) sees them. */
export interface QueuePauseStore {
  /** Records the pause; when the type is already paused, keeps (and returns) the earlier record. */
  put(pause: QueuePause): Promise<QueuePause>;
  remove(type: string): Promise<void>;
  /** Every paused type. */
  list(): Promise<readonly QueuePause[]>;
}

/**
 * What delivers a job type's messages to its consumer: the event source mappings of its lanes on AWS,
 * the pollers locally. Disabling stops new receives; invocations under way finish.
 */
export interface ConsumerSwitch {
  setEnabled(type: string, enabled: boolean): Promise<void>;
}
