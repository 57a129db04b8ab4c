import { randomUUID } from 'node:crypto';
import {
  COMPUTED_QUEUE_ATTRIBUTES,
  DEFAULT_QUEUE_ATTRIBUTES,
  MAXIMUM_VISIBILITY_TIMEOUT_SECONDS,
  integerAttribute,
  parseRedrivePolicy,
  type RedrivePolicy,
} from './attributes.js';
import { sqsErrors } from './errors.js';
import type { JournalEntry, MessageImage } from './journal.js';
import type { MessageContent } from './messages.js';
import { DeadlineHeap, IntrusiveList, type DeadlineEntry, type ListNode } from './structures.js';

/**
 * One standard SQS queue, in memory.
 *
 * Glossary
 * - visible: can be returned by the next ReceiveMessage. Kept in arrival order in an intrusive list,
 *   so standard-queue ordering is "roughly FIFO" (AWS promises only best effort).
 * - delayed: sent with a delay (queue DelaySeconds or per-message) that has not run out yet.
 * - in flight: received and not yet deleted; invisible until its visibility timeout runs out.
 * - deadline: the next moment a message changes on its own — delay end, visibility end, or (for a
 *   visible message) retention end. All deadlines sit in one min-heap; one timer follows its head.
 *
 * Every public operation first settles the deadlines that are due ("processDue"), so correctness
 * never depends on the timer having fired; the timer only exists to wake long polls on time.
 */

export type Clock = () => number;

export type MessageState = 'delayed' | 'visible' | 'inflight';

export class StoredMessage implements DeadlineEntry, ListNode<StoredMessage> {
  dueAt = 0;
  heapIndex = -1;
  listPrev: StoredMessage | undefined = undefined;
  listNext: StoredMessage | undefined = undefined;
  listed = false;
  state: MessageState = 'visible';
  receiveCount = 0;
  firstReceiveTimestamp: number | undefined = undefined;
  lastReceiveTimestamp = 0;

  constructor(
    /** Server-wide, increasing: the message's key in its queue and the receipt handle's pointer. */
    readonly seq: number,
    readonly messageId: string,
    readonly content: MessageContent,
    /** Enqueue time; retention counts from here, also in a dead-letter queue (standard queues). */
    readonly sentTimestamp: number,
    readonly senderId: string,
    /** Set when a redrive policy moved the message here; move tasks send it back there. */
    readonly deadLetterSourceArn: string | undefined,
  ) {}
}

/** One message as one ReceiveMessage call got it; counters are copied because the message lives on. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp: number;
}

export interface QueueEnvironment {
  readonly clock: Clock;
  readonly accountId: string;
  nextSequence(): number;
  findQueueByArn(arn: string): SqsQueue | undefined;
  /** Records each change to messages, when the server persists its queues (journal.ts). */
  readonly journal?: (entry: JournalEntry) => void;
}

export interface QueueCounts {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly waitingReceives: number;
}

interface ReceiveWaiter {
  readonly maxMessages: number;
  readonly visibilityTimeoutSeconds: number;
  settle(deliveries: Delivery[]): void;
}

// setTimeout stores its delay in a signed 32-bit integer; longer delays fire at once.
const MAXIMUM_TIMER_DELAY_MS = 2_147_483_647;
const RECEIPT_HANDLE_PREFIX = 'AQEB';
// "For most standard queues ... there can be a maximum of approximately 120,000 in flight messages.
// If you reach this limit, Amazon SQS returns the OverLimit error message." (ChangeMessageVisibility reference)
export const MAXIMUM_IN_FLIGHT_MESSAGES = 120_000;

export class SqsQueue {
  /** Distinguishes this queue from an earlier queue of the same name: old receipt handles stay invalid. */
  readonly incarnation = randomUUID();
  readonly createdTimestamp: number;
  readonly tags = new Map<string, string>();
  #lastModifiedTimestamp: number;
  readonly #attributes = new Map<string, string>();
  #visibilityTimeoutSeconds = 30;
  #retentionMs = 0;
  #delaySeconds = 0;
  #waitTimeSeconds = 0;
  #maximumMessageSize = 0;
  #redrivePolicy: RedrivePolicy | undefined;

  readonly #messages = new Map<number, StoredMessage>();
  readonly #visible = new IntrusiveList<StoredMessage>();
  readonly #deadlines = new DeadlineHeap<StoredMessage>();
  #inFlightCount = 0;
  #delayedCount = 0;
  readonly #waiters = new Set<ReceiveWaiter>();
  #servingWaiters = false;
  #serveScheduled = false;
  #timer: NodeJS.Timeout | undefined;
  #timerDueAt = Number.POSITIVE_INFINITY;
  #closed = false;
  #env: QueueEnvironment;

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly url: string,
    attributes: ReadonlyMap<string, string>,
    env: QueueEnvironment,
  ) {
    this.#env = env;
    this.createdTimestamp = env.clock();
    this.#lastModifiedTimestamp = this.createdTimestamp;
    this.setAttributes(attributes, this.createdTimestamp);
  }

  /** Swaps the environment (the journal is detached while a restart restores messages). */
  attachEnvironment(env: QueueEnvironment): void {
    this.#env = env;
  }

  // ── Attributes ──────────────────────────────────────────────────────────────

  get maximumMessageSize(): number {
    return this.#maximumMessageSize;
  }

  get redrivePolicy(): RedrivePolicy | undefined {
    return this.#redrivePolicy;
  }

  /** The caller-set attributes, as CreateQueue/SetQueueAttributes stored them (for the journal). */
  storedAttributes(): Record<string, string> {
    return Object.fromEntries(this.#attributes);
  }

  /** A stored (caller-set) attribute, or its default. */
  attribute(name: string): string | undefined {
    return this.#attributes.get(name) ?? DEFAULT_QUEUE_ATTRIBUTES.get(name);
  }

  /** First attribute whose value differs from the queue's, for CreateQueue's idempotency check. */
  firstDifferentAttribute(attributes: ReadonlyMap<string, string>): string | undefined {
    for (const [name, value] of attributes) {
      if ((this.attribute(name) ?? (name === 'FifoQueue' ? 'false' : undefined)) !== value) return name;
    }
    return undefined;
  }

  setAttributes(attributes: ReadonlyMap<string, string>, now = this.#env.clock()): void {
    for (const [name, value] of attributes) {
      // FifoQueue=false is accepted at creation but, like on AWS, not reported for standard queues.
      if (name === 'FifoQueue') continue;
      if (value === '') this.#attributes.delete(name);
      else this.#attributes.set(name, value);
    }
    const previousRetentionMs = this.#retentionMs;
    this.#visibilityTimeoutSeconds = integerAttribute(this.#attributes, 'VisibilityTimeout');
    this.#retentionMs = integerAttribute(this.#attributes, 'MessageRetentionPeriod') * 1000;
    this.#delaySeconds = integerAttribute(this.#attributes, 'DelaySeconds');
    this.#waitTimeSeconds = integerAttribute(this.#attributes, 'ReceiveMessageWaitTimeSeconds');
    this.#maximumMessageSize = integerAttribute(this.#attributes, 'MaximumMessageSize');
    this.#redrivePolicy = parseRedrivePolicy(this.#attributes.get('RedrivePolicy'));
    this.#lastModifiedTimestamp = now;
    // A changed retention applies to messages already in the queue (CreateQueue reference:
    // reducing it "will impact existing messages ... causing them to be expired and deleted").
    if (previousRetentionMs !== 0 && previousRetentionMs !== this.#retentionMs) {
      for (const message of this.#visible) message.dueAt = message.sentTimestamp + this.#retentionMs;
      this.#deadlines.rebuild();
      this.#processDue(now);
    }
  }

  /** GetQueueAttributes: the named attributes (or `All`) this queue has, as strings. */
  reportAttributes(names: readonly string[]): Record<string, string> {
    this.#processDue(this.#env.clock());
    const wanted = names.includes('All')
      ? [...COMPUTED_QUEUE_ATTRIBUTES, ...new Set([...DEFAULT_QUEUE_ATTRIBUTES.keys(), ...this.#attributes.keys()])]
      : names;
    const report: Record<string, string> = {};
    for (const name of wanted) {
      const value = this.#reportedAttribute(name);
      if (value !== undefined) report[name] = value;
    }
    return report;
  }

  #reportedAttribute(name: string): string | undefined {
    switch (name) {
      case 'ApproximateNumberOfMessages':
        return String(this.#visible.length);
      case 'ApproximateNumberOfMessagesNotVisible':
        return String(this.#inFlightCount);
      case 'ApproximateNumberOfMessagesDelayed':
        return String(this.#delayedCount);
      case 'CreatedTimestamp':
        return String(Math.floor(this.createdTimestamp / 1000));
      case 'LastModifiedTimestamp':
        return String(Math.floor(this.#lastModifiedTimestamp / 1000));
      case 'QueueArn':
        return this.arn;
      default:
        return this.attribute(name);
    }
  }

  counts(): QueueCounts {
    this.#processDue(this.#env.clock());
    return {
      visible: this.#visible.length,
      inFlight: this.#inFlightCount,
      delayed: this.#delayedCount,
      waitingReceives: this.#waiters.size,
    };
  }

  // ── Send ────────────────────────────────────────────────────────────────────

  /**
   * Enqueues messages; waiting receivers are served once, after all of them are in, so a long poll
   * with MaxNumberOfMessages=10 picks up a whole SendMessageBatch at once.
   */
  send(batch: ReadonlyArray<{ readonly content: MessageContent; readonly delaySeconds: number | undefined }>): StoredMessage[] {
    const now = this.#env.clock();
    this.#processDue(now);
    const stored = batch.map(({ content, delaySeconds }) => {
      const message = new StoredMessage(this.#env.nextSequence(), randomUUID(), content, now, this.#env.accountId, undefined);
      this.#admit(message, delaySeconds ?? this.#delaySeconds, now);
      return message;
    });
    this.#armTimer(now);
    this.#serveWaiters();
    return stored;
  }

  #admit(message: StoredMessage, delaySeconds: number, now: number): void {
    this.#messages.set(message.seq, message);
    if (delaySeconds > 0) {
      message.state = 'delayed';
      message.dueAt = now + delaySeconds * 1000;
      this.#delayedCount++;
      this.#deadlines.upsert(message);
    } else {
      this.#enterVisible(message);
    }
    this.#env.journal?.({ op: 'put', queue: this.name, message: this.image(message) });
  }

  /** A message as the journal keeps it. */
  image(message: StoredMessage): MessageImage {
    return {
      seq: message.seq,
      messageId: message.messageId,
      content: message.content,
      sentTimestamp: message.sentTimestamp,
      senderId: message.senderId,
      ...(message.deadLetterSourceArn !== undefined ? { deadLetterSourceArn: message.deadLetterSourceArn } : {}),
      state: message.state,
      dueAt: message.dueAt,
      receiveCount: message.receiveCount,
      ...(message.firstReceiveTimestamp !== undefined ? { firstReceiveTimestamp: message.firstReceiveTimestamp } : {}),
      lastReceiveTimestamp: message.lastReceiveTimestamp,
    };
  }

  /** Every message, for compacting the journal. */
  images(): MessageImage[] {
    this.#processDue(this.#env.clock());
    return [...this.#messages.values()].map((message) => this.image(message));
  }

  /**
   * Puts journalled messages back after a restart: delayed and in-flight ones stay hidden until their
   * deadline (a consumer that held one is gone, so it returns when its visibility runs out, as on AWS);
   * the rest are visible, in their original order.
   */
  restore(images: Iterable<MessageImage>): void {
    const now = this.#env.clock();
    for (const image of [...images].sort((a, b) => a.seq - b.seq)) {
      const message = new StoredMessage(image.seq, image.messageId, image.content, image.sentTimestamp, image.senderId, image.deadLetterSourceArn);
      message.receiveCount = image.receiveCount;
      message.firstReceiveTimestamp = image.firstReceiveTimestamp;
      message.lastReceiveTimestamp = image.lastReceiveTimestamp;
      this.#messages.set(message.seq, message);
      if (image.state !== 'visible' && image.dueAt > now) {
        message.state = image.state;
        message.dueAt = image.dueAt;
        if (image.state === 'inflight') this.#inFlightCount++;
        else this.#delayedCount++;
        this.#deadlines.upsert(message);
      } else {
        this.#enterVisible(message);
      }
    }
    this.#processDue(now);
  }

  // ── Receive ─────────────────────────────────────────────────────────────────

  /**
   * ReceiveMessage. Returns at once when anything is visible (never waits to fill MaxNumberOfMessages,
   * as AWS long polling does not); otherwise, with a wait time, parks the call until a message becomes
   * visible — sent, delay over, visibility over, moved in — or the wait runs out.
   */
  receive(
    options: { readonly maxMessages: number; readonly visibilityTimeoutSeconds?: number; readonly waitTimeSeconds?: number },
    signal?: AbortSignal,
  ): Delivery[] | Promise<Delivery[]> {
    const now = this.#env.clock();
    this.#processDue(now);
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? this.#visibilityTimeoutSeconds;
    const waitTimeSeconds = options.waitTimeSeconds ?? this.#waitTimeSeconds;
    if (this.#inFlightCount >= MAXIMUM_IN_FLIGHT_MESSAGES) {
      throw sqsErrors.overLimit(`The queue has reached the limit of ${MAXIMUM_IN_FLIGHT_MESSAGES} in-flight messages.`);
    }
    const ready = this.#take(options.maxMessages, visibilityTimeoutSeconds, now);
    this.#armTimer(now);
    if (ready.length > 0 || waitTimeSeconds <= 0 || this.#closed || signal?.aborted) return ready;

    return new Promise<Delivery[]>((resolve) => {
      const waiter: ReceiveWaiter = {
        maxMessages: options.maxMessages,
        visibilityTimeoutSeconds,
        settle: (deliveries) => {
          clearTimeout(timeout);
          signal?.removeEventListener('abort', abandon);
          resolve(deliveries);
        },
      };
      // A caller that hung up must not be handed messages: they would sit in flight, unseen, and
      // count as a receive. (On AWS the same loss is possible; here it is simply avoidable.)
      const abandon = (): void => {
        if (this.#waiters.delete(waiter)) waiter.settle([]);
      };
      const timeout = setTimeout(abandon, waitTimeSeconds * 1000);
      signal?.addEventListener('abort', abandon, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /**
   * Takes up to `maxMessages` visible messages and puts them in flight. A message that has already been
   * received maxReceiveCount times is moved to the dead-letter queue instead of being delivered: SQS
   * checks the redrive policy when a receive would hand the message out again, so a message is
   * delivered exactly maxReceiveCount times and redriven on the attempt after.
   */
  #take(maxMessages: number, visibilityTimeoutSeconds: number, now: number): Delivery[] {
    const deliveries: Delivery[] = [];
    let visibleAgainAtOnce: StoredMessage[] | undefined;
    const redrive = this.#redrivePolicy;
    const limit = Math.min(maxMessages, MAXIMUM_IN_FLIGHT_MESSAGES - this.#inFlightCount);
    while (deliveries.length < limit) {
      const message = this.#visible.popFront();
      if (!message) break;
      if (this.#isExpired(message, now)) {
        this.#forget(message);
        continue;
      }
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        const deadLetterQueue = this.#env.findQueueByArn(redrive.deadLetterTargetArn);
        // With the dead-letter queue gone, AWS keeps the message in the source queue; so do we.
        if (deadLetterQueue && deadLetterQueue !== this) {
          this.#forget(message);
          deadLetterQueue.acceptDeadLetter(message, this.arn, now);
          continue;
        }
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.lastReceiveTimestamp = now;
      message.state = 'inflight';
      this.#inFlightCount++;
      if (visibilityTimeoutSeconds === 0) {
        // VisibilityTimeout=0 makes the message visible again immediately, but not to this same call.
        (visibleAgainAtOnce ??= []).push(message);
      } else {
        message.dueAt = now + visibilityTimeoutSeconds * 1000;
        this.#deadlines.upsert(message);
      }
      this.#env.journal?.({ op: 'receive', queue: this.name, seq: message.seq, receiveCount: message.receiveCount, at: now, dueAt: now + visibilityTimeoutSeconds * 1000 });
      deliveries.push({
        message,
        receiptHandle: encodeReceiptHandle(this.incarnation, message.seq, message.receiveCount),
        receiveCount: message.receiveCount,
        firstReceiveTimestamp: message.firstReceiveTimestamp,
      });
    }
    if (visibleAgainAtOnce) {
      for (const message of visibleAgainAtOnce) {
        this.#leaveState(message);
        this.#enterVisible(message);
      }
    }
    return deliveries;
  }

  #serveWaiters(): void {
    if (this.#servingWaiters || this.#waiters.size === 0 || this.#visible.length === 0) return;
    this.#servingWaiters = true;
    try {
      const now = this.#env.clock();
      // Oldest waiter first; each gets distinct messages because taking puts them in flight.
      for (const waiter of this.#waiters) {
        if (this.#visible.length === 0) break;
        const deliveries = this.#take(waiter.maxMessages, waiter.visibilityTimeoutSeconds, now);
        if (deliveries.length === 0) break;
        this.#waiters.delete(waiter);
        waiter.settle(deliveries);
      }
      this.#armTimer(now);
    } finally {
      this.#servingWaiters = false;
    }
  }

  /** Serve on the next turn of the event loop, breaking synchronous chains between queues (DLQ cycles). */
  #scheduleServe(): void {
    if (this.#serveScheduled || this.#waiters.size === 0) return;
    this.#serveScheduled = true;
    setImmediate(() => {
      this.#serveScheduled = false;
      this.#serveWaiters();
    });
  }

  // ── Delete and visibility ───────────────────────────────────────────────────

  /**
   * DeleteMessage. A receipt handle names one receive of one message. Choices, after AWS standard queues:
   * - an unparsable handle, or one issued by another queue → ReceiptHandleIsInvalid;
   * - the message is already gone (deleted, purged, expired, moved to a DLQ) → success, nothing happens;
   * - an older handle of a message that was received again since → the message is deleted. The API
   *   reference says an old handle "might not" delete the message, but standard queues do delete it
   *   ("Amazon SQS can delete a message from a queue even if a visibility timeout setting causes the
   *   message to be locked by another consumer"), which is what consumers must be prepared for.
   */
  deleteMessage(receiptHandle: string): void {
    const now = this.#env.clock();
    this.#processDue(now);
    const reference = this.#resolveHandle(receiptHandle);
    const message = this.#messages.get(reference.seq);
    if (!message) return;
    this.#forget(message);
    this.#armTimer(now);
  }

  /**
   * ChangeMessageVisibility: the new timeout counts from now (not from the receive), 0 makes the
   * message visible at once, and the receive count is left alone — only receives count.
   * - message gone → InvalidParameterValue "Message does not exist or is not available for visibility
   *   timeout change" (what AWS answers for a deleted message);
   * - handle expired (the message is visible again) or superseded by a newer receive → success and no
   *   change, as AWS answers for an expired handle; the current consumer's visibility is never touched;
   * - the total beyond 12 hours after the receive → InvalidParameterValue.
   */
  changeMessageVisibility(receiptHandle: string, visibilityTimeoutSeconds: number): void {
    const now = this.#env.clock();
    this.#processDue(now);
    const reference = this.#resolveHandle(receiptHandle);
    const message = this.#messages.get(reference.seq);
    if (!message) {
      throw sqsErrors.invalidParameterValue(
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.`,
      );
    }
    if (message.state !== 'inflight' || reference.receiveCount !== message.receiveCount) return;
    // Whole seconds, as the API counts them: right after a receive, 43200 is still allowed.
    const secondsSinceReceive = Math.floor((now - message.lastReceiveTimestamp) / 1000);
    if (secondsSinceReceive + visibilityTimeoutSeconds > MAXIMUM_VISIBILITY_TIMEOUT_SECONDS) {
      throw sqsErrors.invalidParameterValue(
        `Value ${visibilityTimeoutSeconds} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [${MAXIMUM_VISIBILITY_TIMEOUT_SECONDS} seconds]`,
      );
    }
    this.#env.journal?.({ op: 'visibility', queue: this.name, seq: message.seq, dueAt: now + visibilityTimeoutSeconds * 1000 });
    if (visibilityTimeoutSeconds === 0) {
      this.#leaveState(message);
      this.#enterVisible(message);
      this.#serveWaiters();
    } else {
      message.dueAt = now + visibilityTimeoutSeconds * 1000;
      this.#deadlines.upsert(message);
    }
    this.#armTimer(now);
  }

  #resolveHandle(receiptHandle: string): { seq: number; receiveCount: number } {
    const reference = decodeReceiptHandle(receiptHandle);
    if (!reference || reference.incarnation !== this.incarnation) throw sqsErrors.receiptHandleIsInvalid(receiptHandle);
    return reference;
  }

  // ── Purge, dead letters, move tasks ─────────────────────────────────────────

  /** PurgeQueue: every message goes, whatever its state; their receipt handles delete nothing. */
  purge(): void {
    this.#env.journal?.({ op: 'purge', queue: this.name });
    this.#messages.clear();
    this.#visible.clear();
    this.#deadlines.clear();
    this.#inFlightCount = 0;
    this.#delayedCount = 0;
    this.#armTimer(this.#env.clock());
  }

  /**
   * A message redriven here by a source queue's policy. It keeps its id, body, attributes, receive count
   * and, for standard queues, its enqueue time ("the enqueue timestamp is unchanged", DLQ retention docs).
   */
  acceptDeadLetter(source: StoredMessage, sourceArn: string, now: number): void {
    const message = new StoredMessage(this.#env.nextSequence(), source.messageId, source.content, source.sentTimestamp, source.senderId, sourceArn);
    message.receiveCount = source.receiveCount;
    message.firstReceiveTimestamp = source.firstReceiveTimestamp;
    message.lastReceiveTimestamp = source.lastReceiveTimestamp;
    if (this.#closed || this.#isExpired(message, now)) return;
    this.#messages.set(message.seq, message);
    this.#enterVisible(message);
    this.#env.journal?.({ op: 'put', queue: this.name, message: this.image(message) });
    this.#armTimer(now);
    this.#scheduleServe();
  }

  /** Oldest visible message, for a move task; expired ones are dropped on the way. */
  peekMovable(): StoredMessage | undefined {
    const now = this.#env.clock();
    this.#processDue(now);
    for (let head = this.#visible.peekFront(); head; head = this.#visible.peekFront()) {
      if (!this.#isExpired(head, now)) return head;
      this.#forget(head);
    }
    return undefined;
  }

  removeMoved(message: StoredMessage): void {
    if (this.#messages.get(message.seq) === message) this.#forget(message);
  }

  /**
   * A message a move task redrives here. "All redriven messages are considered new messages with a new
   * messageID and enqueueTime" (DLQ redrive docs): new id, new retention clock, receive count back to 0.
   */
  acceptRedriven(source: StoredMessage): void {
    const now = this.#env.clock();
    this.#processDue(now);
    const message = new StoredMessage(this.#env.nextSequence(), randomUUID(), source.content, now, source.senderId, undefined);
    this.#admit(message, this.#delaySeconds, now);
    this.#armTimer(now);
    this.#serveWaiters();
  }

  /** Ends pending long polls with no messages and stops the timer (server close, DeleteQueue). */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiters) waiter.settle([]);
    this.#waiters.clear();
    this.#armTimer(this.#env.clock());
  }

  // ── State transitions ───────────────────────────────────────────────────────

  #enterVisible(message: StoredMessage): void {
    message.state = 'visible';
    message.dueAt = message.sentTimestamp + this.#retentionMs;
    this.#deadlines.upsert(message);
    this.#visible.pushBack(message);
  }

  #leaveState(message: StoredMessage): void {
    if (message.state === 'inflight') this.#inFlightCount--;
    else if (message.state === 'delayed') this.#delayedCount--;
    else this.#visible.remove(message);
  }

  #forget(message: StoredMessage): void {
    this.#env.journal?.({ op: 'forget', queue: this.name, seq: message.seq });
    this.#leaveState(message);
    this.#deadlines.remove(message);
    this.#messages.delete(message.seq);
  }

  #isExpired(message: StoredMessage, now: number): boolean {
    return now >= message.sentTimestamp + this.#retentionMs;
  }

  #processDue(now: number): void {
    let madeVisible = false;
    for (let next = this.#deadlines.peek(); next && next.dueAt <= now; next = this.#deadlines.peek()) {
      // A visible message's deadline is its retention end; delayed and in-flight ones come back
      // visible unless their retention ran out meanwhile (retention is checked lazily for them).
      if (next.state === 'visible' || this.#isExpired(next, now)) {
        this.#forget(next);
        continue;
      }
      this.#leaveState(next);
      this.#enterVisible(next);
      madeVisible = true;
    }
    this.#armTimer(now);
    if (madeVisible) this.#serveWaiters();
  }

  #armTimer(now: number): void {
    const next = this.#deadlines.peek();
    if (!next || this.#closed) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#timerDueAt = Number.POSITIVE_INFINITY;
      return;
    }
    // An armed timer that fires no later than the head is kept; when it fires it re-arms for the head.
    if (this.#timer && this.#timerDueAt <= next.dueAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerDueAt = next.dueAt;
    this.#timer = setTimeout(this.#onTimer, Math.min(Math.max(next.dueAt - now, 0), MAXIMUM_TIMER_DELAY_MS));
    this.#timer.unref();
  }

  readonly #onTimer = (): void => {
    this.#timer = undefined;
    this.#timerDueAt = Number.POSITIVE_INFINITY;
    this.#processDue(this.#env.clock());
  };
}

function encodeReceiptHandle(incarnation: string, seq: number, receiveCount: number): string {
  return RECEIPT_HANDLE_PREFIX + Buffer.from(`${incarnation}:${seq}:${receiveCount}`, 'utf8').toString('base64');
}

function decodeReceiptHandle(receiptHandle: string): { incarnation: string; seq: number; receiveCount: number } | undefined {
  if (!receiptHandle.startsWith(RECEIPT_HANDLE_PREFIX)) return undefined;
  const parts = Buffer.from(receiptHandle.slice(RECEIPT_HANDLE_PREFIX.length), 'base64').toString('utf8').split(':');
  const [incarnation, seq, receiveCount] = parts;
  if (parts.length !== 3 || !incarnation || !seq || !receiveCount || !/^\d+$/.test(seq) || !/^\d+$/.test(receiveCount)) return undefined;
  return { incarnation, seq: Number(seq), receiveCount: Number(receiveCount) };
}
