import { randomUUID } from 'node:crypto';
import {
  COMPUTED_QUEUE_ATTRIBUTES,
  DEFAULT_QUEUE_ATTRIBUTES,
  FIFO_DEFAULT_QUEUE_ATTRIBUTES,
  MAXIMUM_VISIBILITY_TIMEOUT_SECONDS,
  integerAttribute,
  parseRedrivePolicy,
  type RedrivePolicy,
} from './attributes.js';
import { sqsErrors } from './errors.js';
import {
  DEDUPLICATION_INTERVAL_MS,
  DeduplicationWindow,
  RECEIVE_ATTEMPT_INTERVAL_MS,
  deduplicationKey,
  sequenceNumberOf,
  type DeduplicationRecord,
  type FifoSendSettings,
} from './fifo.js';
import type { JournalEntry, MessageImage } from './journal.js';
import type { MessageContent } from './messages.js';
import { FairOrder, FifoOrder, type DeliveryOrder, type OrderedMessage } from './order.js';
import { DeadlineHeap, type DeadlineEntry, type ListNode } from './structures.js';

/**
 * One SQS queue, standard or FIFO, in memory.
 *
 * Glossary
 * - visible: can be returned by a ReceiveMessage. Which one comes next is the delivery order's choice
 *   (order.ts): arrival order with message groups taking turns on a standard queue, strict per-group
 *   order with one group in flight at a time on a FIFO queue.
 * - delayed: sent with a delay (queue DelaySeconds or per-message) that has not run out yet.
 * - in flight: received and not yet deleted; invisible until its visibility timeout runs out.
 * - deadline: the next moment a message changes on its own — delay end, visibility end, or (for a
 *   visible message) retention end. All deadlines sit in one min-heap; one timer follows its head.
 *
 * Time comes from the injected clock only. Every public operation first settles the deadlines that are
 * due by it ("processDue"), so correctness never depends on a timer having fired; the timers exist to
 * wake long polls on time, and `tick()` does their work at once for a test that moved its clock.
 */

export type Clock = () => number;

export type MessageState = 'delayed' | 'visible' | 'inflight';

export class StoredMessage implements DeadlineEntry, OrderedMessage {
  dueAt = 0;
  heapIndex = -1;
  listPrev: ListNode | undefined = undefined;
  listNext: ListNode | undefined = undefined;
  listed = false;
  state: MessageState = 'visible';
  receiveCount = 0;
  firstReceiveTimestamp: number | undefined = undefined;
  lastReceiveTimestamp = 0;

  constructor(
    /** Server-wide, increasing: the message's key in its queue, its receipt handle's pointer, its FIFO order. */
    readonly seq: number,
    readonly messageId: string,
    readonly content: MessageContent,
    /** Enqueue time; retention counts from here (a standard DLQ keeps it, a FIFO DLQ resets it). */
    readonly sentTimestamp: number,
    readonly senderId: string,
    /** Set when a redrive policy moved the message here; move tasks send it back there. */
    readonly deadLetterSourceArn: string | undefined,
    /** FIFO queues only. */
    readonly deduplicationId: string | undefined = undefined,
  ) {}

  get groupId(): string | undefined {
    return this.content.messageGroupId;
  }
}

/** One message as one ReceiveMessage call got it; counters are copied because the message lives on. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
  readonly receiveCount: number;
  readonly firstReceiveTimestamp: number;
}

/** What SendMessage answers for one message: the stored one, or the original of a FIFO duplicate. */
export interface SendOutcome {
  readonly messageId: string;
  /** FIFO queues only. */
  readonly sequenceNumber?: string;
}

export interface SendEntry {
  readonly content: MessageContent;
  readonly delaySeconds: number | undefined;
  /** FIFO queues only: explicit or content-based (fifo.ts). */
  readonly deduplicationId?: string;
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

export interface ReceiveOptions {
  readonly maxMessages: number;
  readonly visibilityTimeoutSeconds?: number;
  readonly waitTimeSeconds?: number;
  /** FIFO queues only (ignored on standard queues, which do not deduplicate receives). */
  readonly receiveRequestAttemptId?: string;
}

interface ReceiveWaiter {
  readonly maxMessages: number;
  readonly visibilityTimeoutSeconds: number;
  /** When the wait runs out, on the queue's clock. */
  readonly expiresAt: number;
  settle(deliveries: Delivery[]): void;
}

/** A FIFO receive kept for ReceiveRequestAttemptId retries. */
interface ReceiveAttempt {
  readonly at: number;
  readonly deliveries: readonly Delivery[];
  /** Each message's visibility deadline as the receive left it: any change since means "modified". */
  dueAts: number[];
}

// setTimeout stores its delay in a signed 32-bit integer; longer delays fire at once.
const MAXIMUM_TIMER_DELAY_MS = 2_147_483_647;
const RECEIPT_HANDLE_PREFIX = 'AQEB';
// "For most standard queues ... there can be a maximum of approximately 120,000 in flight messages.
// If you reach this limit, Amazon SQS returns the OverLimit error message." (ChangeMessageVisibility reference)
// FIFO queues have the same maximum, but "If this limit is reached, Amazon SQS does not return an error"
// (SQS Developer Guide, "Amazon SQS FIFO queue quotas"): their receives come back empty instead.
export const MAXIMUM_IN_FLIGHT_MESSAGES = 120_000;

export class SqsQueue {
  /** Distinguishes this queue from an earlier queue of the same name: old receipt handles stay invalid. */
  readonly incarnation = randomUUID();
  readonly createdTimestamp: number;
  readonly fifo: boolean;
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
  readonly #visible: DeliveryOrder<StoredMessage>;
  readonly #deadlines = new DeadlineHeap<StoredMessage>();
  readonly #deduplication = new DeduplicationWindow();
  readonly #receiveAttempts = new Map<string, ReceiveAttempt>();
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
    this.fifo = attributes.get('FifoQueue') === 'true';
    this.#visible = this.fifo ? new FifoOrder<StoredMessage>() : new FairOrder<StoredMessage>();
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

  /** How this FIFO queue deduplicates sends, as its attributes say now. */
  get fifoSendSettings(): FifoSendSettings {
    return {
      contentBasedDeduplication: this.attribute('ContentBasedDeduplication') === 'true',
      deduplicationScope: this.attribute('DeduplicationScope') === 'messageGroup' ? 'messageGroup' : 'queue',
    };
  }

  /** The caller-set attributes, as CreateQueue/SetQueueAttributes stored them (for the journal). */
  storedAttributes(): Record<string, string> {
    return Object.fromEntries(this.#attributes);
  }

  /** A stored (caller-set) attribute, or its default. */
  attribute(name: string): string | undefined {
    return this.#attributes.get(name) ?? (this.fifo ? FIFO_DEFAULT_QUEUE_ATTRIBUTES.get(name) : undefined) ?? DEFAULT_QUEUE_ATTRIBUTES.get(name);
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
      if (name === 'FifoQueue' && value !== 'true') continue;
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
      for (const message of this.#visible.messages()) message.dueAt = message.sentTimestamp + this.#retentionMs;
      this.#deadlines.rebuild();
      this.#processDue(now);
    }
  }

  /** GetQueueAttributes: the named attributes (or `All`) this queue has, as strings. */
  reportAttributes(names: readonly string[]): Record<string, string> {
    this.#processDue(this.#env.clock());
    const defaults = this.fifo ? [...DEFAULT_QUEUE_ATTRIBUTES.keys(), ...FIFO_DEFAULT_QUEUE_ATTRIBUTES.keys()] : [...DEFAULT_QUEUE_ATTRIBUTES.keys()];
    const wanted = names.includes('All') ? [...COMPUTED_QUEUE_ATTRIBUTES, ...new Set([...defaults, ...this.#attributes.keys()])] : names;
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
        return String(this.#visible.size);
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
      visible: this.#visible.size,
      inFlight: this.#inFlightCount,
      delayed: this.#delayedCount,
      waitingReceives: this.#waiters.size,
    };
  }

  // ── Send ────────────────────────────────────────────────────────────────────

  /**
   * Enqueues messages; waiting receivers are served once, after all of them are in, so a long poll
   * with MaxNumberOfMessages=10 picks up a whole SendMessageBatch at once. On a FIFO queue a send whose
   * deduplication key was accepted in the last five minutes (also earlier in the same batch) stores
   * nothing and answers with the original message's id and sequence number.
   */
  send(batch: ReadonlyArray<SendEntry>): SendOutcome[] {
    const now = this.#env.clock();
    this.#processDue(now);
    const outcomes = batch.map((entry) => this.#sendOne(entry, now));
    this.#armTimer(now);
    this.#serveWaiters();
    return outcomes;
  }

  #sendOne({ content, delaySeconds, deduplicationId }: SendEntry, now: number): SendOutcome {
    if (!this.fifo) {
      const message = new StoredMessage(this.#env.nextSequence(), randomUUID(), content, now, this.#env.accountId, undefined);
      this.#admit(message, delaySeconds ?? this.#delaySeconds, now);
      return { messageId: message.messageId };
    }
    const key = deduplicationKey(deduplicationId ?? '', content.messageGroupId ?? '', this.fifoSendSettings);
    const original = this.#deduplication.find(key, now);
    if (original) return { messageId: original.messageId, sequenceNumber: original.sequenceNumber };
    // Per-message delays are refused on FIFO queues before this point; the queue's delay applies.
    const message = new StoredMessage(this.#env.nextSequence(), randomUUID(), content, now, this.#env.accountId, undefined, deduplicationId);
    const record: DeduplicationRecord = { key, messageId: message.messageId, sequenceNumber: sequenceNumberOf(message.seq), expiresAt: now + DEDUPLICATION_INTERVAL_MS };
    this.#deduplication.remember(record);
    this.#env.journal?.({ op: 'dedup', queue: this.name, record });
    this.#admit(message, this.#delaySeconds, now);
    return { messageId: record.messageId, sequenceNumber: record.sequenceNumber };
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
      ...(message.deduplicationId !== undefined ? { deduplicationId: message.deduplicationId } : {}),
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

  /** The FIFO deduplication keys still inside their interval, for compacting the journal. */
  deduplicationRecords(): DeduplicationRecord[] {
    return this.fifo ? this.#deduplication.records(this.#env.clock()) : [];
  }

  /**
   * Puts journalled messages back after a restart: delayed and in-flight ones stay hidden until their
   * deadline (a consumer that held one is gone, so it returns when its visibility runs out, as on AWS,
   * and its FIFO group stays locked until then); the rest are visible, in their original order. The
   * FIFO deduplication window comes back too, so a producer's retry across a restart is still a duplicate.
   */
  restore(images: Iterable<MessageImage>, deduplication: Iterable<DeduplicationRecord> = []): void {
    const now = this.#env.clock();
    for (const record of deduplication) if (record.expiresAt > now) this.#deduplication.remember(record);
    for (const image of [...images].sort((a, b) => a.seq - b.seq)) {
      const message = new StoredMessage(image.seq, image.messageId, image.content, image.sentTimestamp, image.senderId, image.deadLetterSourceArn, image.deduplicationId);
      message.receiveCount = image.receiveCount;
      message.firstReceiveTimestamp = image.firstReceiveTimestamp;
      message.lastReceiveTimestamp = image.lastReceiveTimestamp;
      this.#messages.set(message.seq, message);
      if (image.state !== 'visible' && image.dueAt > now) {
        message.state = image.state;
        message.dueAt = image.dueAt;
        if (image.state === 'inflight') {
          this.#inFlightCount++;
          this.#visible.holdInFlight(message);
        } else {
          this.#delayedCount++;
        }
        this.#deadlines.upsert(message);
      } else {
        this.#enterVisible(message);
      }
    }
    this.#processDue(now);
  }

  // ── Receive ─────────────────────────────────────────────────────────────────

  /**
   * ReceiveMessage. Returns at once when anything is deliverable (never waits to fill
   * MaxNumberOfMessages, as AWS long polling does not); otherwise, with a wait time, parks the call
   * until a message becomes deliverable — sent, delay over, visibility over, moved in, its FIFO group
   * unlocked — or the wait runs out on the queue's clock.
   */
  receive(options: ReceiveOptions, signal?: AbortSignal): Delivery[] | Promise<Delivery[]> {
    const now = this.#env.clock();
    this.#processDue(now);
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? this.#visibilityTimeoutSeconds;
    const waitTimeSeconds = options.waitTimeSeconds ?? this.#waitTimeSeconds;
    if (!this.fifo && this.#inFlightCount >= MAXIMUM_IN_FLIGHT_MESSAGES) {
      throw sqsErrors.overLimit(`The queue has reached the limit of ${MAXIMUM_IN_FLIGHT_MESSAGES} in-flight messages.`);
    }
    const attemptId = this.fifo ? options.receiveRequestAttemptId : undefined;
    if (attemptId !== undefined) {
      const replay = this.#replayAttempt(attemptId, visibilityTimeoutSeconds, now);
      if (replay) return replay;
    }
    const remember = (deliveries: Delivery[]): Delivery[] => {
      if (attemptId !== undefined && deliveries.length > 0) {
        this.#receiveAttempts.set(attemptId, { at: this.#env.clock(), deliveries, dueAts: deliveries.map((delivery) => delivery.message.dueAt) });
      }
      return deliveries;
    };
    const ready = this.#take(options.maxMessages, visibilityTimeoutSeconds, now);
    this.#armTimer(now);
    if (ready.length > 0 || waitTimeSeconds <= 0 || this.#closed || signal?.aborted) return remember(ready);

    return new Promise<Delivery[]>((resolve) => {
      let timeout: NodeJS.Timeout | undefined;
      const waiter: ReceiveWaiter = {
        maxMessages: options.maxMessages,
        visibilityTimeoutSeconds,
        expiresAt: now + waitTimeSeconds * 1000,
        settle: (deliveries) => {
          clearTimeout(timeout);
          signal?.removeEventListener('abort', abandon);
          resolve(remember(deliveries));
        },
      };
      // A caller that hung up must not be handed messages: they would sit in flight, unseen, and
      // count as a receive. (On AWS the same loss is possible; here it is simply avoidable.)
      const abandon = (): void => {
        if (this.#waiters.delete(waiter)) waiter.settle([]);
      };
      // The wait is measured on the queue's clock; the timer only wakes it (tick() does so at once).
      const check = (): void => {
        const remaining = waiter.expiresAt - this.#env.clock();
        if (remaining <= 0) abandon();
        else timeout = setTimeout(check, Math.min(remaining, MAXIMUM_TIMER_DELAY_MS));
      };
      timeout = setTimeout(check, waitTimeSeconds * 1000);
      signal?.addEventListener('abort', abandon, { once: true });
      this.#waiters.add(waiter);
    });
  }

  /**
   * ReceiveRequestAttemptId (FIFO): a retry within five minutes gets "the same messages and receipt
   * handles" and "resets the visibility timeout", provided "none of the messages have been modified
   * (deleted or had their visibility changes)" (ReceiveMessage reference). Otherwise it is a new receive.
   */
  #replayAttempt(attemptId: string, visibilityTimeoutSeconds: number, now: number): Delivery[] | undefined {
    for (const [id, attempt] of this.#receiveAttempts) {
      if (now - attempt.at < RECEIVE_ATTEMPT_INTERVAL_MS) break;
      this.#receiveAttempts.delete(id);
    }
    const attempt = this.#receiveAttempts.get(attemptId);
    if (!attempt) return undefined;
    const unmodified = attempt.deliveries.every(
      ({ message, receiveCount }, index) =>
        this.#messages.get(message.seq) === message && message.state === 'inflight' && message.receiveCount === receiveCount && message.dueAt === attempt.dueAts[index],
    );
    if (!unmodified) {
      this.#receiveAttempts.delete(attemptId);
      return undefined;
    }
    const dueAt = now + visibilityTimeoutSeconds * 1000;
    for (const { message } of attempt.deliveries) {
      message.dueAt = dueAt;
      this.#deadlines.upsert(message);
      this.#env.journal?.({ op: 'visibility', queue: this.name, seq: message.seq, dueAt });
    }
    attempt.dueAts = attempt.deliveries.map(() => dueAt);
    this.#armTimer(now);
    return [...attempt.deliveries];
  }

  /**
   * Takes up to `maxMessages` deliverable messages and puts them in flight. A message that has already
   * been received maxReceiveCount times is moved to the dead-letter queue instead of being delivered: SQS
   * checks the redrive policy when a receive would hand the message out again, so a message is
   * delivered exactly maxReceiveCount times and redriven on the attempt after.
   */
  #take(maxMessages: number, visibilityTimeoutSeconds: number, now: number): Delivery[] {
    const deliveries: Delivery[] = [];
    let visibleAgainAtOnce: StoredMessage[] | undefined;
    const redrive = this.#redrivePolicy;
    const limit = Math.min(maxMessages, MAXIMUM_IN_FLIGHT_MESSAGES - this.#inFlightCount);
    this.#visible.beginBatch();
    while (deliveries.length < limit) {
      const message = this.#visible.next();
      if (!message) break;
      if (this.#isExpired(message, now)) {
        this.#dropTaken(message);
        continue;
      }
      if (redrive && message.receiveCount >= redrive.maxReceiveCount) {
        const deadLetterQueue = this.#env.findQueueByArn(redrive.deadLetterTargetArn);
        // With the dead-letter queue gone, AWS keeps the message in the source queue; so do we.
        if (deadLetterQueue && deadLetterQueue !== this) {
          this.#dropTaken(message);
          deadLetterQueue.acceptDeadLetter(message, this.arn, now);
          continue;
        }
      }
      message.receiveCount++;
      message.firstReceiveTimestamp ??= now;
      message.lastReceiveTimestamp = now;
      message.state = 'inflight';
      this.#inFlightCount++;
      this.#visible.holdInFlight(message);
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
    this.#visible.endBatch();
    if (visibleAgainAtOnce) {
      for (const message of visibleAgainAtOnce) {
        this.#leaveState(message);
        this.#enterVisible(message);
      }
    }
    return deliveries;
  }

  /** A message `next()` handed out that is not delivered after all (expired, dead-lettered): it is gone. */
  #dropTaken(message: StoredMessage): void {
    this.#env.journal?.({ op: 'forget', queue: this.name, seq: message.seq });
    this.#deadlines.remove(message);
    this.#messages.delete(message.seq);
  }

  #serveWaiters(): void {
    if (this.#servingWaiters || this.#waiters.size === 0 || !this.#visible.hasDeliverable()) return;
    this.#servingWaiters = true;
    try {
      const now = this.#env.clock();
      // Oldest waiter first; each gets distinct messages because taking puts them in flight.
      for (const waiter of this.#waiters) {
        if (!this.#visible.hasDeliverable()) break;
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

  /**
   * Applies the clock's present at once: deadlines that are due make messages visible (waking long
   * polls) or expire them, and long polls whose wait ran out answer empty. The timers do the same on
   * their own with the system clock; a test that moves an injected clock calls this instead of waiting.
   */
  tick(): void {
    const now = this.#env.clock();
    this.#processDue(now);
    for (const waiter of this.#waiters) {
      if (waiter.expiresAt > now) continue;
      this.#waiters.delete(waiter);
      waiter.settle([]);
    }
  }

  // ── Delete and visibility ───────────────────────────────────────────────────

  /**
   * DeleteMessage. A receipt handle names one receive of one message. Choices, after AWS:
   * - an unparsable handle, or one issued by another queue → ReceiptHandleIsInvalid;
   * - the message is already gone (deleted, purged, expired, moved to a DLQ) → success, nothing happens;
   * - standard queue, an older handle of a message that was received again since → the message is
   *   deleted. The API reference says an old handle "might not" delete the message, but standard queues
   *   do delete it ("Amazon SQS can delete a message from a queue even if a visibility timeout setting
   *   causes the message to be locked by another consumer"), which is what consumers must be prepared for;
   * - FIFO queue, a handle whose receive is over (visibility ran out, or received again since) →
   *   InvalidParameterValue "The receipt handle has expired" (AWS Knowledge Center, "Why do I get a
   *   ReceiptHandleIsInvalid or InvalidParameterValue error when I delete a message"): a late consumer
   *   must not delete the message another consumer now holds in its group's turn.
   */
  deleteMessage(receiptHandle: string): void {
    const now = this.#env.clock();
    this.#processDue(now);
    const reference = this.#resolveHandle(receiptHandle);
    const message = this.#messages.get(reference.seq);
    if (!message) return;
    if (this.fifo && (message.state !== 'inflight' || message.receiveCount !== reference.receiveCount)) {
      throw sqsErrors.invalidParameterValue(`Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`);
    }
    this.#forget(message);
    this.#armTimer(now);
    // Deleting the last in-flight message of a FIFO group unlocks the group's next message.
    this.#serveWaiters();
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

  /**
   * PurgeQueue: every message goes, whatever its state; their receipt handles delete nothing. A FIFO
   * queue's deduplication window stays: the keys were accepted, whatever became of their messages.
   */
  purge(): void {
    this.#env.journal?.({ op: 'purge', queue: this.name });
    this.#messages.clear();
    this.#visible.clear();
    this.#deadlines.clear();
    this.#receiveAttempts.clear();
    this.#inFlightCount = 0;
    this.#delayedCount = 0;
    this.#armTimer(this.#env.clock());
  }

  /**
   * A message redriven here by a source queue's policy. It keeps its id, body, attributes and receive
   * count. A standard queue keeps its enqueue time ("the enqueue timestamp is unchanged"); a FIFO queue
   * resets it ("For FIFO queues, the enqueue timestamp resets when the message is moved to a dead-letter
   * queue") and replaces its deduplication id with its message id ("so that DLQ deduplication will not
   * prevent storing of two independent messages that happen to share a deduplication ID") — SQS
   * Developer Guide, "Setting-up dead-letter queue retention" and "Learn how to configure a dead-letter
   * queue redrive".
   */
  acceptDeadLetter(source: StoredMessage, sourceArn: string, now: number): void {
    const message = this.fifo
      ? new StoredMessage(this.#env.nextSequence(), source.messageId, source.content, now, source.senderId, sourceArn, source.messageId)
      : new StoredMessage(this.#env.nextSequence(), source.messageId, source.content, source.sentTimestamp, source.senderId, sourceArn);
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

  /** The next message a receive would get, for a move task; expired ones are dropped on the way. */
  peekMovable(): StoredMessage | undefined {
    const now = this.#env.clock();
    this.#processDue(now);
    for (let head = this.#visible.peek(); head; head = this.#visible.peek()) {
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
   * Into a FIFO queue it keeps its group and deduplication id but bypasses the deduplication window: a
   * redrive is an operator's explicit resend, and dropping it as a duplicate would lose the message.
   */
  acceptRedriven(source: StoredMessage): void {
    const now = this.#env.clock();
    this.#processDue(now);
    const deduplicationId = this.fifo ? (source.deduplicationId ?? source.messageId) : undefined;
    const message = new StoredMessage(this.#env.nextSequence(), randomUUID(), source.content, now, source.senderId, undefined, deduplicationId);
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
    this.#visible.add(message);
  }

  #leaveState(message: StoredMessage): void {
    if (message.state === 'inflight') {
      this.#inFlightCount--;
      this.#visible.releaseInFlight(message);
    } else if (message.state === 'delayed') {
      this.#delayedCount--;
    } else {
      this.#visible.remove(message);
    }
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
        // An in-flight FIFO message that expires unlocks its group.
        if (next.state === 'inflight') madeVisible = true;
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
