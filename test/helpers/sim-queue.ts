import { randomUUID } from 'node:crypto';
import type { SqsRecordLike } from '../../functions/worker/context.js';
import type { ConsumerQueue } from '../../shared/ports/job-queue.js';

/**
 * A model of one standard SQS queue with a redrive policy, for property tests of the worker. Time is
 * abstract: an in-flight message comes back only when the test says its visibility ran out
 * (`expire`) or the worker set its visibility (`changeVisibility`), so a test can choose the most
 * hostile moment. Deleting works with any receipt handle of the message, as on standard queues.
 */
export interface SimMessage {
  readonly id: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  receipt: number;
  state: 'available' | 'inflight' | 'deleted' | 'dlq';
  /** How it reached the DLQ: handed over by the worker, or moved by the redrive policy (the safety net). */
  deadLettered?: 'by-worker' | 'by-redrive-policy';
}

export class SimQueue implements ConsumerQueue {
  readonly messages: SimMessage[] = [];
  readonly visibilityChanges: { id: string; seconds: number }[] = [];

  constructor(readonly maxReceiveCount: number) {}

  async send(): Promise<void> {
    throw new Error('SimQueue: use put()');
  }

  /** Sends a message; `receiveCount` > 0 puts in one that was already received (and returned) that often. */
  put(body: string, sentAt: number, receiveCount = 0): SimMessage {
    const message: SimMessage = { id: randomUUID(), body, sentAt, receiveCount, receipt: 0, state: 'available' };
    this.messages.push(message);
    return message;
  }

  available(): SimMessage[] {
    return this.messages.filter((m) => m.state === 'available');
  }

  inflight(): SimMessage[] {
    return this.messages.filter((m) => m.state === 'inflight');
  }

  dlq(): SimMessage[] {
    return this.messages.filter((m) => m.state === 'dlq');
  }

  /** A receive: past maxReceiveCount the message moves to the DLQ instead of being delivered. */
  receive(message: SimMessage): SqsRecordLike | undefined {
    if (message.state !== 'available') return undefined;
    if (message.receiveCount >= this.maxReceiveCount) {
      message.state = 'dlq';
      message.deadLettered = 'by-redrive-policy';
      return undefined;
    }
    message.receiveCount++;
    message.receipt++;
    message.state = 'inflight';
    return {
      messageId: message.id,
      receiptHandle: `${message.id}:${message.receipt}`,
      body: message.body,
      attributes: { ApproximateReceiveCount: String(message.receiveCount), SentTimestamp: String(message.sentAt) },
    };
  }

  ack(record: SqsRecordLike): void {
    const message = this.#byHandle(record.receiptHandle);
    if (message && message.state !== 'dlq') message.state = 'deleted';
  }

  /**
   * A receive that never reaches the consumer: the Lambda was throttled (the account's concurrency is
   * used up), so the message comes back unprocessed. It still counts a receive.
   */
  throttle(message: SimMessage): void {
    if (this.receive(message)) message.state = 'available';
  }

  expire(message: SimMessage): void {
    if (message.state === 'inflight') message.state = 'available';
  }

  /** The worker's hand-off of a DEAD job's message: a new message in the DLQ. */
  async deadLetter(_type: string, body: string): Promise<void> {
    this.messages.push({ id: randomUUID(), body, sentAt: Date.now(), receiveCount: 0, receipt: 0, state: 'dlq', deadLettered: 'by-worker' });
  }

  async changeVisibility(_type: string, receiptHandle: string, seconds: number): Promise<void> {
    const message = this.#byHandle(receiptHandle);
    // An expired or superseded handle changes nothing (as on SQS).
    if (!message || message.state !== 'inflight' || `${message.id}:${message.receipt}` !== receiptHandle) return;
    this.visibilityChanges.push({ id: message.id, seconds });
    message.state = 'available';
  }

  #byHandle(receiptHandle: string): SimMessage | undefined {
    const id = receiptHandle.slice(0, receiptHandle.lastIndexOf(':'));
    return this.messages.find((m) => m.id === id);
  }
}
