import { IntrusiveList, type ListNode } from './structures.js';

/**
 * Which visible message a receive gets next. Two orders, one per queue type:
 *
 * - FairOrder (standard queues). Messages without a MessageGroupId leave in arrival order, as before;
 *   a message that becomes visible again goes to the back. Messages with a MessageGroupId use it as a
 *   tenant key (SQS "fair queues", 2025): tenants take turns, one message per turn, so a tenant with a
 *   large backlog cannot hold back another tenant's message for more than one turn per tenant ahead of
 *   it. AWS documents the goal ("When one tenant creates a backlog … fair queues minimizes the impact on
 *   dwell time for other tenants") and a heuristic (a tenant with more than 10% of the in-flight messages
 *   and at least 30 of them is "noisy", and quiet tenants' messages are returned first; "Each message
 *   without a MessageGroupId is treated as belonging to its own distinct tenant") — SQS Developer Guide,
 *   "Amazon SQS fair queues" and "How Amazon SQS fair queues work". Here the turn-taking applies at
 *   every depth of backlog, which is stronger than AWS's thresholds and needs no in-flight history: a
 *   standard queue promises no order, so any interleaving is a legal one, and this one is deterministic.
 *
 * - FifoOrder (FIFO queues). Within a message group, strict send order, also when a message comes back
 *   after its visibility timeout (it goes back to its place, ahead of later messages). A group with a
 *   message in flight is locked: "you can't receive additional messages from the same message group ID
 *   in subsequent requests unless the currently received messages are deleted or become visible again"
 *   (SQS Developer Guide, "FIFO queue delivery logic"). One receive takes as many messages of one group
 *   as it can, then moves to the next unlocked group ("Amazon SQS … attempts to return as many messages
 *   with the same message group ID as possible"). Unlocked groups are served in the order they became
 *   available.
 *
 * Both are intrusive lists (structures.ts), so each step is O(1) however many messages or groups wait;
 * putting a returned FIFO message back in its place walks its group's in-flight batch (at most 10).
 */

export interface OrderedMessage extends ListNode {
  /** Server-wide send sequence; the order inside a FIFO group. */
  readonly seq: number;
  readonly groupId: string | undefined;
}

export interface DeliveryOrder<M extends OrderedMessage> {
  /** Visible messages, including those waiting behind a locked FIFO group. */
  readonly size: number;
  /** A message became visible: sent, delay over, visibility over, restored, moved in. */
  add(message: M): void;
  /** A visible message leaves without being received (deleted with an old handle, expired, moved). */
  remove(message: M): void;
  /** One ReceiveMessage call picks its messages between beginBatch and endBatch. */
  beginBatch(): void;
  /** The next message to hand out, taken out of the order; undefined when none is deliverable now. */
  next(): M | undefined;
  endBatch(): void;
  /** What `next()` would hand out, left in place. */
  peek(): M | undefined;
  hasDeliverable(): boolean;
  /** A message of this queue went in flight (received, or restored in flight). */
  holdInFlight(message: M): void;
  /** A message left the in-flight state (deleted, visible again, purged). */
  releaseInFlight(message: M): void;
  clear(): void;
  /** Every visible message. */
  messages(): Iterable<M>;
}

class MessageGroup<M extends OrderedMessage> implements ListNode {
  listPrev: ListNode | undefined = undefined;
  listNext: ListNode | undefined = undefined;
  listed = false;
  readonly messages = new IntrusiveList<M>();
  inFlight = 0;

  constructor(readonly id: string) {}
}

export class FairOrder<M extends OrderedMessage> implements DeliveryOrder<M> {
  /** Whose turn is next: an ungrouped message (its own tenant) or a group with visible messages. */
  readonly #turns = new IntrusiveList<M | MessageGroup<M>>();
  readonly #groups = new Map<string, MessageGroup<M>>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(message: M): void {
    this.#size++;
    if (message.groupId === undefined) {
      this.#turns.pushBack(message);
      return;
    }
    let group = this.#groups.get(message.groupId);
    if (!group) {
      group = new MessageGroup<M>(message.groupId);
      this.#groups.set(group.id, group);
    }
    group.messages.pushBack(message);
    if (!group.listed) this.#turns.pushBack(group);
  }

  remove(message: M): void {
    if (!message.listed) return;
    this.#size--;
    if (message.groupId === undefined) {
      this.#turns.remove(message);
      return;
    }
    const group = this.#groups.get(message.groupId);
    if (!group) return;
    group.messages.remove(message);
    if (group.messages.length === 0) {
      this.#turns.remove(group);
      this.#groups.delete(group.id);
    }
  }

  beginBatch(): void {}

  next(): M | undefined {
    const turn = this.#turns.popFront();
    if (!turn) return undefined;
    this.#size--;
    if (!(turn instanceof MessageGroup)) return turn;
    const message = turn.messages.popFront();
    // The group takes its next turn behind everyone now waiting.
    if (turn.messages.length > 0) this.#turns.pushBack(turn);
    else this.#groups.delete(turn.id);
    return message;
  }

  endBatch(): void {}

  peek(): M | undefined {
    const turn = this.#turns.peekFront();
    return turn instanceof MessageGroup ? turn.messages.peekFront() : turn;
  }

  hasDeliverable(): boolean {
    return this.#turns.length > 0;
  }

  holdInFlight(): void {}

  releaseInFlight(): void {}

  clear(): void {
    for (const group of this.#groups.values()) group.messages.clear();
    this.#groups.clear();
    this.#turns.clear();
    this.#size = 0;
  }

  *messages(): Iterable<M> {
    for (const turn of this.#turns) {
      if (turn instanceof MessageGroup) yield* turn.messages;
      else yield turn;
    }
  }
}

export class FifoOrder<M extends OrderedMessage> implements DeliveryOrder<M> {
  /** Groups with visible messages and none in flight, in the order they became so. */
  readonly #available = new IntrusiveList<MessageGroup<M>>();
  readonly #groups = new Map<string, MessageGroup<M>>();
  /** The group the current receive is draining; it stays open to that receive though it holds messages. */
  #batchGroup: MessageGroup<M> | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(message: M): void {
    this.#size++;
    const group = this.#groupOf(message);
    const messages = group.messages;
    const last = messages.peekBack();
    if (!last || last.seq < message.seq) {
      messages.pushBack(message);
    } else {
      // A message back from flight goes before every later message of its group.
      let after = messages.peekFront();
      while (after && after.seq < message.seq) after = messages.nextOf(after);
      if (after) messages.insertBefore(message, after);
      else messages.pushBack(message);
    }
    this.#offer(group);
  }

  remove(message: M): void {
    if (!message.listed) return;
    this.#size--;
    const group = this.#groupOf(message);
    group.messages.remove(message);
    if (group.messages.length === 0) this.#available.remove(group);
    this.#forgetIfIdle(group);
  }

  beginBatch(): void {
    this.#batchGroup = undefined;
  }

  next(): M | undefined {
    while (!this.#batchGroup || this.#batchGroup.messages.length === 0) {
      if (this.#batchGroup) this.#closeBatchGroup();
      this.#batchGroup = this.#available.popFront();
      if (!this.#batchGroup) return undefined;
    }
    this.#size--;
    return this.#batchGroup.messages.popFront();
  }

  endBatch(): void {
    if (this.#batchGroup) this.#closeBatchGroup();
  }

  peek(): M | undefined {
    return this.#available.peekFront()?.messages.peekFront();
  }

  hasDeliverable(): boolean {
    return this.#available.length > 0;
  }

  holdInFlight(message: M): void {
    const group = this.#groupOf(message);
    group.inFlight++;
    this.#available.remove(group);
  }

  releaseInFlight(message: M): void {
    if (message.groupId === undefined) return;
    const group = this.#groups.get(message.groupId);
    if (!group) return;
    group.inFlight--;
    this.#offer(group);
    this.#forgetIfIdle(group);
  }

  clear(): void {
    for (const group of this.#groups.values()) group.messages.clear();
    this.#groups.clear();
    this.#available.clear();
    this.#batchGroup = undefined;
    this.#size = 0;
  }

  *messages(): Iterable<M> {
    for (const group of this.#groups.values()) yield* group.messages;
  }

  /** A group whose taken messages were all dead-lettered or expired is still unlocked. */
  #closeBatchGroup(): void {
    const group = this.#batchGroup;
    this.#batchGroup = undefined;
    if (!group) return;
    this.#offer(group);
    this.#forgetIfIdle(group);
  }

  #offer(group: MessageGroup<M>): void {
    if (!group.listed && group !== this.#batchGroup && group.inFlight === 0 && group.messages.length > 0) this.#available.pushBack(group);
  }

  #forgetIfIdle(group: MessageGroup<M>): void {
    if (group.messages.length === 0 && group.inFlight === 0 && group !== this.#batchGroup) this.#groups.delete(group.id);
  }

  #groupOf(message: M): MessageGroup<M> {
    // FIFO sends require a MessageGroupId; the empty string only guards a corrupted journal.
    const id = message.groupId ?? '';
    let group = this.#groups.get(id);
    if (!group) {
      group = new MessageGroup<M>(id);
      this.#groups.set(id, group);
    }
    return group;
  }
}
