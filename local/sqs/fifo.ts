import { createHash } from 'node:crypto';
import { sqsErrors } from './errors.js';

/**
 * FIFO-queue rules that are not about delivery order (order.ts has those): queue names, the
 * deduplication id a send carries, the 5-minute deduplication window, and sequence numbers.
 *
 * Sources: SendMessage API reference (MessageGroupId, MessageDeduplicationId, DelaySeconds), SQS
 * Developer Guide "Amazon SQS FIFO queue key terms" and "Exactly-once processing in Amazon SQS".
 */

/** "any messages sent with the same MessageDeduplicationId are accepted successfully but aren't delivered during the 5-minute deduplication interval" */
export const DEDUPLICATION_INTERVAL_MS = 5 * 60 * 1000;
/** ReceiveRequestAttemptId: "You can use ReceiveRequestAttemptId only for 5 minutes after a ReceiveMessage action." */
export const RECEIVE_ATTEMPT_INTERVAL_MS = 5 * 60 * 1000;

const FIFO_QUEUE_NAME = /^[A-Za-z0-9_-]{1,75}\.fifo$/;
// Deduplication ids and group ids: 1–128 alphanumeric and punctuation characters (SendMessage reference).
const TOKEN = /^[\x21-\x7E]{1,128}$/;
// 20 decimal digits, as AWS's 128-bit sequence numbers print; grows with the server-wide message sequence.
const SEQUENCE_BASE = 10_000_000_000_000_000_000n;

export function isFifoQueueName(name: string): boolean {
  return FIFO_QUEUE_NAME.test(name);
}

export function invalidFifoQueueName() {
  return sqsErrors.invalidParameterValue(
    'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.',
  );
}

/**
 * SequenceNumber: "the large, non-consecutive number that Amazon SQS assigns to each message", increasing
 * within a message group. Derived from the message's server-wide sequence, which the journal keeps, so
 * it survives a restart unchanged.
 */
export function sequenceNumberOf(seq: number): string {
  return (SEQUENCE_BASE + BigInt(seq)).toString();
}

export interface FifoSendSettings {
  readonly contentBasedDeduplication: boolean;
  readonly deduplicationScope: 'queue' | 'messageGroup';
}

/**
 * What a FIFO send must carry, checked in the order AWS reports it: a MessageGroupId, no per-message
 * DelaySeconds (0 is tolerated, as AWS does), and a deduplication id — explicit, or the SHA-256 of the
 * body (not the attributes) when ContentBasedDeduplication is on; an explicit one wins.
 */
export function fifoDeduplicationId(
  input: { readonly body: string; readonly messageGroupId: string | undefined; readonly messageDeduplicationId: unknown; readonly delaySeconds: number | undefined },
  settings: FifoSendSettings,
): string {
  if (input.messageGroupId === undefined) throw sqsErrors.missingParameter('MessageGroupId');
  if (input.delaySeconds !== undefined && input.delaySeconds !== 0) {
    throw sqsErrors.invalidParameterValue(
      `Value ${input.delaySeconds} for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.`,
    );
  }
  const explicit = input.messageDeduplicationId;
  if (explicit !== undefined && explicit !== null) {
    if (typeof explicit !== 'string' || !TOKEN.test(explicit)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${String(explicit)} for parameter MessageDeduplicationId is invalid. Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
      );
    }
    return explicit;
  }
  if (!settings.contentBasedDeduplication) {
    throw sqsErrors.invalidParameterValue('The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly');
  }
  return createHash('sha256').update(input.body, 'utf8').digest('hex');
}

/** The window key: with DeduplicationScope=messageGroup the same id may be used once per group. */
export function deduplicationKey(deduplicationId: string, messageGroupId: string, settings: FifoSendSettings): string {
  // A space cannot occur in either token, so the joined key is unambiguous.
  return settings.deduplicationScope === 'messageGroup' ? `${messageGroupId} ${deduplicationId}` : deduplicationId;
}

/** A send that was accepted: a later send with the same key inside the interval answers with it. */
export interface DeduplicationRecord {
  readonly key: string;
  readonly messageId: string;
  readonly sequenceNumber: string;
  /** Epoch ms (the server's clock) when the key may be used again. */
  readonly expiresAt: number;
}

/**
 * The keys seen in the last five minutes. The interval counts from the accepted send; duplicates do not
 * extend it, and it outlives the message ("Amazon SQS continues tracking the deduplication ID even after
 * the message has been received and deleted", FIFO key terms). Records are kept in insertion order, which
 * is expiry order, so pruning stops at the first live one.
 */
export class DeduplicationWindow {
  readonly #records = new Map<string, DeduplicationRecord>();

  find(key: string, now: number): DeduplicationRecord | undefined {
    this.#prune(now);
    const record = this.#records.get(key);
    return record && record.expiresAt > now ? record : undefined;
  }

  remember(record: DeduplicationRecord): void {
    this.#records.delete(record.key);
    this.#records.set(record.key, record);
  }

  /** Live records, for the journal's compaction. */
  records(now: number): DeduplicationRecord[] {
    this.#prune(now);
    return [...this.#records.values()];
  }

  #prune(now: number): void {
    for (const [recordKey, record] of this.#records) {
      if (record.expiresAt > now) break;
      this.#records.delete(recordKey);
    }
  }
}
