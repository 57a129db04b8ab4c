/**
 * The two data structures a queue needs to stay O(1) / O(log n) per operation at 100k+ messages:
 * intrusive doubly linked lists for the visible messages and the message groups taking turns
 * (order.ts: push at the tail, pop at the head, unlink from the middle when a message is deleted with
 * an old receipt handle or expires, insert before a node when a FIFO message returns to its place)
 * and an indexed min-heap of deadlines (delay end, visibility end, retention end) that one timer per
 * queue follows. Both are intrusive: the message carries its own links and heap slot, so no side maps
 * are needed and a deleted message is garbage as soon as the queue's id map lets go of it.
 */

export interface DeadlineEntry {
  /** Epoch ms at which the entry's next transition is due. */
  dueAt: number;
  /** Tie-breaker so that entries due at the same millisecond leave in arrival order. */
  readonly seq: number;
  /** Slot in the heap array, -1 when not in a heap. */
  heapIndex: number;
}

export class DeadlineHeap<T extends DeadlineEntry> {
  readonly #entries: T[] = [];

  get size(): number {
    return this.#entries.length;
  }

  peek(): T | undefined {
    return this.#entries[0];
  }

  /** Adds the entry, or re-positions it after its `dueAt` changed. */
  upsert(entry: T): void {
    if (entry.heapIndex < 0) {
      entry.heapIndex = this.#entries.length;
      this.#entries.push(entry);
      this.#siftUp(entry.heapIndex);
    } else {
      this.#resift(entry.heapIndex);
    }
  }

  remove(entry: T): void {
    const index = entry.heapIndex;
    if (index < 0) return;
    entry.heapIndex = -1;
    const last = this.#entries.pop();
    if (last === undefined || last === entry) return;
    this.#entries[index] = last;
    last.heapIndex = index;
    this.#resift(index);
  }

  clear(): void {
    for (const entry of this.#entries) entry.heapIndex = -1;
    this.#entries.length = 0;
  }

  /** Restores heap order after many `dueAt` values changed at once (O(n)). */
  rebuild(): void {
    for (let index = (this.#entries.length >> 1) - 1; index >= 0; index--) this.#siftDown(index);
  }

  #before(a: T, b: T): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  #at(index: number): T {
    return this.#entries[index] as T;
  }

  #resift(index: number): void {
    const parent = (index - 1) >> 1;
    if (index > 0 && this.#before(this.#at(index), this.#at(parent))) this.#siftUp(index);
    else this.#siftDown(index);
  }

  #siftUp(start: number): void {
    const entry = this.#at(start);
    let index = start;
    while (index > 0) {
      const parentIndex = (index - 1) >> 1;
      const parent = this.#at(parentIndex);
      if (!this.#before(entry, parent)) break;
      this.#entries[index] = parent;
      parent.heapIndex = index;
      index = parentIndex;
    }
    this.#entries[index] = entry;
    entry.heapIndex = index;
  }

  #siftDown(start: number): void {
    const count = this.#entries.length;
    const entry = this.#at(start);
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= count) break;
      const right = left + 1;
      const child = right < count && this.#before(this.#at(right), this.#at(left)) ? right : left;
      const childEntry = this.#at(child);
      if (!this.#before(childEntry, entry)) break;
      this.#entries[index] = childEntry;
      childEntry.heapIndex = index;
      index = child;
    }
    this.#entries[index] = entry;
    entry.heapIndex = index;
  }
}

/**
 * Links a node carries for the list it is in. A node is in at most one list at a time, and each list
 * only ever holds nodes of its own element type, which is what makes the casts below sound.
 */
export interface ListNode {
  listPrev: ListNode | undefined;
  listNext: ListNode | undefined;
  listed: boolean;
}

export class IntrusiveList<T extends ListNode> {
  #head: T | undefined;
  #tail: T | undefined;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  peekFront(): T | undefined {
    return this.#head;
  }

  peekBack(): T | undefined {
    return this.#tail;
  }

  pushBack(node: T): void {
    node.listPrev = this.#tail;
    node.listNext = undefined;
    if (this.#tail) this.#tail.listNext = node;
    else this.#head = node;
    this.#tail = node;
    node.listed = true;
    this.#length++;
  }

  /** Links `node` in front of `before`, which must be in this list. */
  insertBefore(node: T, before: T): void {
    const previous = before.listPrev as T | undefined;
    node.listPrev = previous;
    node.listNext = before;
    before.listPrev = node;
    if (previous) previous.listNext = node;
    else this.#head = node;
    node.listed = true;
    this.#length++;
  }

  /** The node after `node` in this list. */
  nextOf(node: T): T | undefined {
    return node.listNext as T | undefined;
  }

  popFront(): T | undefined {
    const node = this.#head;
    if (node) this.remove(node);
    return node;
  }

  remove(node: T): void {
    if (!node.listed) return;
    if (node.listPrev) node.listPrev.listNext = node.listNext;
    else this.#head = node.listNext as T | undefined;
    if (node.listNext) node.listNext.listPrev = node.listPrev;
    else this.#tail = node.listPrev as T | undefined;
    node.listPrev = undefined;
    node.listNext = undefined;
    node.listed = false;
    this.#length--;
  }

  clear(): void {
    let node: ListNode | undefined = this.#head;
    while (node) {
      const next: ListNode | undefined = node.listNext;
      node.listPrev = undefined;
      node.listNext = undefined;
      node.listed = false;
      node = next;
    }
    this.#head = undefined;
    this.#tail = undefined;
    this.#length = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    let node = this.#head;
    while (node) {
      const next = node.listNext as T | undefined;
      yield node;
      node = next;
    }
  }
}
