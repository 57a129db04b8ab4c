import {
  KNOWN_QUEUE_ATTRIBUTES,
  MAXIMUM_DELAY_SECONDS,
  MAXIMUM_MESSAGE_BYTES,
  MAXIMUM_VISIBILITY_TIMEOUT_SECONDS,
  MAXIMUM_WAIT_TIME_SECONDS,
  normalizeQueueAttributes,
} from './attributes.js';
import { SqsServiceError, sqsErrors } from './errors.js';
import {
  optionalInteger,
  optionalString,
  optionalStringList,
  optionalStringMap,
  requireBatchEntries,
  requireInteger,
  requireString,
  type JsonObject,
} from './input.js';
import { fifoDeduplicationId, invalidFifoQueueName, isFifoQueueName, sequenceNumberOf } from './fifo.js';
import { md5OfMessageAttributes } from './md5.js';
import { buildMessageContent, selectMessageAttributes, type MessageContent } from './messages.js';
import type { JournalEntry, SqsJournal } from './journal.js';
import { MessageMoveTaskManager } from './move-tasks.js';
import { SqsQueue, type Clock, type Delivery, type QueueCounts, type QueueEnvironment, type SendEntry, type SendOutcome, type StoredMessage } from './queue.js';

/**
 * The SQS API over the in-memory queues: one method per action, input validation, output shapes.
 * Knows nothing about HTTP; server.ts turns requests into `dispatch` calls.
 */

export interface SqsServiceOptions {
  readonly region: string;
  readonly accountId: string;
  readonly clock: Clock;
  /** Persist queues and messages in this journal (replayed by `restore()`). Memory only when absent. */
  readonly journal?: SqsJournal;
}

export interface RequestContext {
  /** Aborted when the caller hangs up; ends a parked long poll without handing it messages. */
  readonly signal?: AbortSignal;
}

export interface QueueStats extends QueueCounts {
  readonly name: string;
  readonly url: string;
}

type ActionHandler = (input: JsonObject, context: RequestContext) => unknown;

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const MAXIMUM_LIST_RESULTS = 1000;

export class SqsService {
  readonly region: string;
  readonly accountId: string;
  #endpoint = '';
  readonly #queues = new Map<string, SqsQueue>();
  readonly #queuesByArn = new Map<string, SqsQueue>();
  readonly #moveTasks: MessageMoveTaskManager;
  readonly #environment: QueueEnvironment;
  #sequence = 0;
  readonly #journal: SqsJournal | undefined;
  #compactionScheduled = false;
  readonly #actions: Readonly<Record<string, ActionHandler>>;

  constructor(options: SqsServiceOptions) {
    this.region = options.region;
    this.accountId = options.accountId;
    this.#journal = options.journal;
    this.#environment = {
      clock: options.clock,
      accountId: options.accountId,
      nextSequence: () => ++this.#sequence,
      findQueueByArn: (arn) => this.#queuesByArn.get(arn),
      ...(options.journal ? { journal: (entry: JournalEntry) => this.#record(entry) } : {}),
    };
    this.#moveTasks = new MessageMoveTaskManager({
      clock: options.clock,
      findQueueByArn: (arn) => this.#queuesByArn.get(arn),
      isDeadLetterQueue: (arn) => [...this.#queues.values()].some((queue) => queue.redrivePolicy?.deadLetterTargetArn === arn),
    });
    this.#actions = {
      CreateQueue: (input) => this.#createQueue(input),
      GetQueueUrl: (input) => this.#getQueueUrl(input),
      ListQueues: (input) => this.#listQueues(input),
      DeleteQueue: (input) => this.#deleteQueue(input),
      PurgeQueue: (input) => this.#purgeQueue(input),
      GetQueueAttributes: (input) => this.#getQueueAttributes(input),
      SetQueueAttributes: (input) => this.#setQueueAttributes(input),
      SendMessage: (input) => this.#sendMessage(input),
      SendMessageBatch: (input) => this.#sendMessageBatch(input),
      ReceiveMessage: (input, context) => this.#receiveMessage(input, context),
      DeleteMessage: (input) => this.#deleteMessage(input),
      DeleteMessageBatch: (input) => this.#deleteMessageBatch(input),
      ChangeMessageVisibility: (input) => this.#changeMessageVisibility(input),
      ChangeMessageVisibilityBatch: (input) => this.#changeMessageVisibilityBatch(input),
      ListDeadLetterSourceQueues: (input) => this.#listDeadLetterSourceQueues(input),
      StartMessageMoveTask: (input) => this.#startMessageMoveTask(input),
      ListMessageMoveTasks: (input) => this.#listMessageMoveTasks(input),
      CancelMessageMoveTask: (input) => this.#cancelMessageMoveTask(input),
      TagQueue: (input) => this.#tagQueue(input),
      UntagQueue: (input) => this.#untagQueue(input),
      ListQueueTags: (input) => this.#listQueueTags(input),
    };
  }

  /** Set once the server knows its port; queue URLs are `${endpoint}/${accountId}/${name}`. */
  setEndpoint(endpoint: string): void {
    this.#endpoint = endpoint;
  }

  /** Runs one action. Throws SqsServiceError for every API-level failure. */
  dispatch(action: string, input: JsonObject, context: RequestContext = {}): unknown {
    const handler = Object.hasOwn(this.#actions, action) ? this.#actions[action] : undefined;
    if (!handler) throw sqsErrors.unsupportedOperation(`The action ${action} is not supported by the local SQS server.`);
    return handler(input, context);
  }

  stats(): QueueStats[] {
    return [...this.#queues.values()].map((queue) => ({ name: queue.name, url: queue.url, ...queue.counts() }));
  }

  /** Applies the clock's present at once (queue.ts `tick`, move-tasks.ts `tick`). */
  tick(): void {
    for (const queue of this.#queues.values()) queue.tick();
    this.#moveTasks.tick();
  }

  /** Ends all pending long polls and timers; queues and messages stay readable. */
  close(): void {
    this.#moveTasks.close();
    for (const queue of this.#queues.values()) queue.close();
    if (this.#journal) {
      this.#journal.rewrite(this.#journalImage());
      this.#journal.close();
    }
  }

  /**
   * Brings back the queues and messages of the journal (after `setEndpoint`: URLs name the endpoint),
   * then compacts it. Returns how many messages came back.
   */
  restore(): number {
    if (!this.#journal) return 0;
    const state = this.#journal.load();
    let restored = 0;
    for (const { meta, messages } of state.queues.values()) {
      const arn = this.#arnOf(meta.name);
      const queue = new SqsQueue(meta.name, arn, `${this.#endpoint}/${this.accountId}/${meta.name}`, new Map(Object.entries(meta.attributes)), this.#restoringEnvironment());
      for (const [key, value] of Object.entries(meta.tags)) queue.tags.set(key, value);
      this.#queues.set(meta.name, queue);
      this.#queuesByArn.set(arn, queue);
      for (const seq of messages.keys()) this.#sequence = Math.max(this.#sequence, seq);
      queue.restore(messages.values(), state.deduplication.get(meta.name)?.values());
      restored += messages.size;
    }
    // Restored queues journal through the live environment from now on.
    for (const queue of this.#queues.values()) queue.attachEnvironment(this.#environment);
    this.#journal.rewrite(this.#journalImage());
    return restored;
  }

  /** While restoring, nothing is journalled: the journal already holds it. */
  #restoringEnvironment(): QueueEnvironment {
    const { journal: _journal, ...quiet } = this.#environment;
    return quiet;
  }

  #record(entry: JournalEntry): void {
    if (!this.#journal?.append(entry) || this.#compactionScheduled) return;
    // Compact between requests, never in the middle of one operation.
    this.#compactionScheduled = true;
    setImmediate(() => {
      this.#compactionScheduled = false;
      this.#journal?.rewrite(this.#journalImage());
    });
  }

  #recordQueue(queue: SqsQueue): void {
    this.#environment.journal?.({ op: 'queue', meta: { name: queue.name, attributes: queue.storedAttributes(), tags: Object.fromEntries(queue.tags) } });
  }

  *#journalImage(): Generator<JournalEntry> {
    for (const queue of this.#queues.values()) {
      yield { op: 'queue', meta: { name: queue.name, attributes: queue.storedAttributes(), tags: Object.fromEntries(queue.tags) } };
      for (const record of queue.deduplicationRecords()) yield { op: 'dedup', queue: queue.name, record };
      for (const message of queue.images()) yield { op: 'put', queue: queue.name, message };
    }
  }

  // ── Queues ──────────────────────────────────────────────────────────────────

  #arnOf(name: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${name}`;
  }

  #queueLookup = {
    findQueueByArn: (arn: string) => this.#queuesByArn.get(arn),
  };

  #createQueue(input: JsonObject): unknown {
    const name = requireString(input, 'QueueName');
    const rawAttributes = optionalStringMap(input, 'Attributes') ?? {};
    const tags = optionalStringMap(input, 'tags') ?? {};
    const arn = this.#arnOf(name);
    const attributes = normalizeQueueAttributes(rawAttributes, { mode: 'create', queueArn: arn, queues: this.#queueLookup });
    if (attributes.get('FifoQueue') === 'true') {
      if (!isFifoQueueName(name)) throw invalidFifoQueueName();
    } else if (!QUEUE_NAME.test(name)) {
      // A name ending in .fifo without FifoQueue=true is refused here too, as on AWS.
      throw sqsErrors.invalidParameterValue('Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length');
    }
    const existing = this.#queues.get(name);
    if (existing) {
      // Idempotent when every given attribute matches (CreateQueue reference); otherwise QueueNameExists.
      const different = existing.firstDifferentAttribute(attributes);
      if (different !== undefined) throw sqsErrors.queueNameExists(different);
      return { QueueUrl: existing.url };
    }
    const queue = new SqsQueue(name, arn, `${this.#endpoint}/${this.accountId}/${name}`, attributes, this.#environment);
    for (const [key, value] of Object.entries(tags)) queue.tags.set(key, value);
    this.#queues.set(name, queue);
    this.#queuesByArn.set(arn, queue);
    this.#recordQueue(queue);
    return { QueueUrl: queue.url };
  }

  #getQueueUrl(input: JsonObject): unknown {
    const name = requireString(input, 'QueueName');
    const owner = optionalString(input, 'QueueOwnerAWSAccountId');
    const queue = this.#queues.get(name);
    if (!queue || (owner !== undefined && owner !== this.accountId)) throw sqsErrors.queueDoesNotExist();
    return { QueueUrl: queue.url };
  }

  #listQueues(input: JsonObject): unknown {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const names = [...this.#queues.keys()].filter((name) => name.startsWith(prefix)).sort();
    const { page, nextToken } = paginate(names, optionalInteger(input, 'MaxResults'), optionalString(input, 'NextToken'));
    if (page.length === 0) return {};
    return { QueueUrls: page.map((name) => this.#requireQueueByName(name).url), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  /**
   * DeleteQueue takes effect at once here (AWS: up to 60 seconds). Pending long polls end empty, and a
   * queue of the same name can be created right away (AWS: QueueDeletedRecently for 60 seconds).
   */
  #deleteQueue(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    queue.close();
    queue.purge();
    this.#queues.delete(queue.name);
    this.#queuesByArn.delete(queue.arn);
    this.#environment.journal?.({ op: 'dropQueue', name: queue.name });
    return {};
  }

  /** Immediate, and not limited to one purge per 60 seconds (AWS answers PurgeQueueInProgress). */
  #purgeQueue(input: JsonObject): unknown {
    this.#requireQueue(input).purge();
    return {};
  }

  #getQueueAttributes(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const names = optionalStringList(input, 'AttributeNames') ?? [];
    for (const name of names) {
      if (!KNOWN_QUEUE_ATTRIBUTES.has(name)) throw sqsErrors.invalidAttributeName(`Unknown Attribute ${name}.`);
    }
    const attributes = queue.reportAttributes(names);
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  #setQueueAttributes(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const raw = optionalStringMap(input, 'Attributes');
    if (raw === undefined) throw sqsErrors.missingParameter('Attributes');
    queue.setAttributes(normalizeQueueAttributes(raw, { mode: 'set', queueArn: queue.arn, fifo: queue.fifo, queues: this.#queueLookup }));
    this.#recordQueue(queue);
    return {};
  }

  #requireQueue(input: JsonObject): SqsQueue {
    return this.#queueByUrl(requireString(input, 'QueueUrl'));
  }

  /**
   * Any host is accepted: the SDK sends the QueueUrl it was given, which may name another host than
   * the one it connected to. The last two path segments are account and queue name.
   */
  #queueByUrl(queueUrl: string): SqsQueue {
    const nameStart = queueUrl.lastIndexOf('/');
    const accountStart = nameStart > 0 ? queueUrl.lastIndexOf('/', nameStart - 1) : -1;
    if (accountStart < 0) throw sqsErrors.queueDoesNotExist();
    const accountId = queueUrl.slice(accountStart + 1, nameStart);
    const queue = this.#queues.get(queueUrl.slice(nameStart + 1));
    if (!queue || accountId !== this.accountId) throw sqsErrors.queueDoesNotExist();
    return queue;
  }

  #requireQueueByName(name: string): SqsQueue {
    const queue = this.#queues.get(name);
    if (!queue) throw sqsErrors.queueDoesNotExist();
    return queue;
  }

  // ── Messages ────────────────────────────────────────────────────────────────

  #sendMessage(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const entry = sendEntryOf(queue, input);
    const [outcome] = queue.send([entry]);
    return outcome ? sendResultOf(outcome, entry.content) : {};
  }

  #sendMessageBatch(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const entries = requireBatchEntries(input, 'SendMessageBatchRequestEntry');
    // The whole batch is limited like one message (1 MiB); exceeding it fails the request, not an entry.
    const batchBytes = entries.reduce((total, entry) => total + approximateEntryBytes(entry), 0);
    if (batchBytes > MAXIMUM_MESSAGE_BYTES) throw sqsErrors.batchRequestTooLong(batchBytes, MAXIMUM_MESSAGE_BYTES);

    const accepted: Array<SendEntry & { readonly id: string }> = [];
    const failed: unknown[] = [];
    for (const entry of entries) {
      try {
        accepted.push({ id: entry.Id, ...sendEntryOf(queue, entry) });
      } catch (error) {
        failed.push(batchFailure(entry.Id, error));
      }
    }
    const outcomes = queue.send(accepted);
    const successful = accepted.map((entry, index) => ({ Id: entry.id, ...sendResultOf(outcomes[index] ?? { messageId: '' }, entry.content) }));
    return { Successful: successful, Failed: failed };
  }

  async #receiveMessage(input: JsonObject, context: RequestContext): Promise<unknown> {
    const queue = this.#requireQueue(input);
    const maxMessages = optionalInteger(input, 'MaxNumberOfMessages') ?? 1;
    if (maxMessages < 1 || maxMessages > 10) {
      throw sqsErrors.invalidParameterValue(`Value ${maxMessages} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
    }
    const visibilityTimeoutSeconds = optionalInteger(input, 'VisibilityTimeout');
    if (visibilityTimeoutSeconds !== undefined && (visibilityTimeoutSeconds < 0 || visibilityTimeoutSeconds > MAXIMUM_VISIBILITY_TIMEOUT_SECONDS)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${visibilityTimeoutSeconds} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= ${MAXIMUM_VISIBILITY_TIMEOUT_SECONDS}, if provided.`,
      );
    }
    const waitTimeSeconds = optionalInteger(input, 'WaitTimeSeconds');
    if (waitTimeSeconds !== undefined && (waitTimeSeconds < 0 || waitTimeSeconds > MAXIMUM_WAIT_TIME_SECONDS)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${waitTimeSeconds} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= ${MAXIMUM_WAIT_TIME_SECONDS}, if provided.`,
      );
    }
    // AttributeNames is the deprecated spelling of MessageSystemAttributeNames; SDKs may send either.
    const systemAttributeNames = [...(optionalStringList(input, 'AttributeNames') ?? []), ...(optionalStringList(input, 'MessageSystemAttributeNames') ?? [])];
    const messageAttributeNames = optionalStringList(input, 'MessageAttributeNames');
    const receiveRequestAttemptId = optionalString(input, 'ReceiveRequestAttemptId');
    if (receiveRequestAttemptId !== undefined && !/^[\x21-\x7E]{1,128}$/.test(receiveRequestAttemptId)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${receiveRequestAttemptId} for parameter ReceiveRequestAttemptId is invalid. Reason: ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length.`,
      );
    }

    const deliveries = await queue.receive(
      { maxMessages, visibilityTimeoutSeconds, waitTimeSeconds, ...(receiveRequestAttemptId !== undefined ? { receiveRequestAttemptId } : {}) },
      context.signal,
    );
    if (deliveries.length === 0) return {};
    return { Messages: deliveries.map((delivery) => receivedMessageOf(queue, delivery, systemAttributeNames, messageAttributeNames)) };
  }

  #deleteMessage(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    queue.deleteMessage(requireString(input, 'ReceiptHandle'));
    return {};
  }

  #deleteMessageBatch(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const entries = requireBatchEntries(input, 'DeleteMessageBatchRequestEntry');
    return runBatch(entries, (entry) => queue.deleteMessage(requireString(entry, 'ReceiptHandle')));
  }

  #changeMessageVisibility(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const receiptHandle = requireString(input, 'ReceiptHandle');
    queue.changeMessageVisibility(receiptHandle, readVisibilityTimeout(input));
    return {};
  }

  #changeMessageVisibilityBatch(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const entries = requireBatchEntries(input, 'ChangeMessageVisibilityBatchRequestEntry');
    return runBatch(entries, (entry) => queue.changeMessageVisibility(requireString(entry, 'ReceiptHandle'), readVisibilityTimeout(entry)));
  }

  // ── Dead-letter queues ──────────────────────────────────────────────────────

  #listDeadLetterSourceQueues(input: JsonObject): unknown {
    const deadLetterQueue = this.#requireQueue(input);
    const names = [...this.#queues.values()]
      .filter((queue) => queue.redrivePolicy?.deadLetterTargetArn === deadLetterQueue.arn)
      .map((queue) => queue.name)
      .sort();
    const { page, nextToken } = paginate(names, optionalInteger(input, 'MaxResults'), optionalString(input, 'NextToken'));
    // The output member really is lower-case `queueUrls` in the SQS model.
    return { queueUrls: page.map((name) => this.#requireQueueByName(name).url), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  #startMessageMoveTask(input: JsonObject): unknown {
    const taskHandle = this.#moveTasks.start(
      requireString(input, 'SourceArn'),
      optionalString(input, 'DestinationArn'),
      optionalInteger(input, 'MaxNumberOfMessagesPerSecond'),
    );
    return { TaskHandle: taskHandle };
  }

  #listMessageMoveTasks(input: JsonObject): unknown {
    return { Results: this.#moveTasks.list(requireString(input, 'SourceArn'), optionalInteger(input, 'MaxResults')) };
  }

  #cancelMessageMoveTask(input: JsonObject): unknown {
    return { ApproximateNumberOfMessagesMoved: this.#moveTasks.cancel(requireString(input, 'TaskHandle')) };
  }

  // ── Tags ────────────────────────────────────────────────────────────────────

  #tagQueue(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const tags = optionalStringMap(input, 'Tags');
    if (!tags) throw sqsErrors.missingParameter('Tags');
    for (const [key, value] of Object.entries(tags)) queue.tags.set(key, value);
    this.#recordQueue(queue);
    return {};
  }

  #untagQueue(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    const keys = optionalStringList(input, 'TagKeys');
    if (!keys) throw sqsErrors.missingParameter('TagKeys');
    for (const key of keys) queue.tags.delete(key);
    this.#recordQueue(queue);
    return {};
  }

  #listQueueTags(input: JsonObject): unknown {
    const queue = this.#requireQueue(input);
    return queue.tags.size > 0 ? { Tags: Object.fromEntries(queue.tags) } : {};
  }
}

// ── Helpers ───────────────────────────────────────────────────────────────────

/** One SendMessage (or batch entry), validated for its queue's type. */
function sendEntryOf(queue: SqsQueue, input: JsonObject): SendEntry {
  const delaySeconds = readDelaySeconds(input);
  const content = buildMessageContent(
    {
      body: input['MessageBody'],
      messageAttributes: input['MessageAttributes'],
      messageSystemAttributes: input['MessageSystemAttributes'],
      messageGroupId: input['MessageGroupId'],
      messageDeduplicationId: input['MessageDeduplicationId'],
    },
    queue,
  );
  if (!queue.fifo) return { content, delaySeconds };
  const deduplicationId = fifoDeduplicationId(
    { body: content.body, messageGroupId: content.messageGroupId, messageDeduplicationId: input['MessageDeduplicationId'], delaySeconds },
    queue.fifoSendSettings,
  );
  return { content, delaySeconds: undefined, deduplicationId };
}

/**
 * A FIFO duplicate answers with the original's id and sequence number but the digests of the body sent
 * now, which is what the SDK checks its request against.
 */
function sendResultOf(outcome: SendOutcome, content: MessageContent) {
  return {
    MessageId: outcome.messageId,
    MD5OfMessageBody: content.md5OfBody,
    ...(content.md5OfMessageAttributes ? { MD5OfMessageAttributes: content.md5OfMessageAttributes } : {}),
    ...(content.md5OfMessageSystemAttributes ? { MD5OfMessageSystemAttributes: content.md5OfMessageSystemAttributes } : {}),
    ...(outcome.sequenceNumber !== undefined ? { SequenceNumber: outcome.sequenceNumber } : {}),
  };
}

function readDelaySeconds(input: JsonObject): number | undefined {
  const delaySeconds = optionalInteger(input, 'DelaySeconds');
  if (delaySeconds !== undefined && (delaySeconds < 0 || delaySeconds > MAXIMUM_DELAY_SECONDS)) {
    throw sqsErrors.invalidParameterValue(
      `Value ${delaySeconds} for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= ${MAXIMUM_DELAY_SECONDS}.`,
    );
  }
  return delaySeconds;
}

function readVisibilityTimeout(input: JsonObject): number {
  const visibilityTimeout = requireInteger(input, 'VisibilityTimeout');
  if (visibilityTimeout < 0 || visibilityTimeout > MAXIMUM_VISIBILITY_TIMEOUT_SECONDS) {
    throw sqsErrors.invalidParameterValue(
      `Value ${visibilityTimeout} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= ${MAXIMUM_VISIBILITY_TIMEOUT_SECONDS}, if provided.`,
    );
  }
  return visibilityTimeout;
}

/** Body and attribute bytes of a raw batch entry, before validation (for BatchRequestTooLong). */
function approximateEntryBytes(entry: JsonObject): number {
  const body = entry['MessageBody'];
  let bytes = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : 0;
  const attributes = entry['MessageAttributes'];
  if (typeof attributes === 'object' && attributes !== null) {
    for (const [name, raw] of Object.entries(attributes as Record<string, unknown>)) {
      bytes += Buffer.byteLength(name, 'utf8');
      if (typeof raw !== 'object' || raw === null) continue;
      for (const [field, value] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof value !== 'string') continue;
        bytes += field === 'BinaryValue' ? Buffer.byteLength(value, 'base64') : Buffer.byteLength(value, 'utf8');
      }
    }
  }
  return bytes;
}

function batchFailure(id: string, error: unknown) {
  if (!(error instanceof SqsServiceError)) throw error;
  return { Id: id, SenderFault: error.senderFault, Code: error.queryCode, Message: error.message };
}

function runBatch(entries: ReadonlyArray<JsonObject & { readonly Id: string }>, apply: (entry: JsonObject) => void): unknown {
  const successful: unknown[] = [];
  const failed: unknown[] = [];
  for (const entry of entries) {
    try {
      apply(entry);
      successful.push({ Id: entry.Id });
    } catch (error) {
      failed.push(batchFailure(entry.Id, error));
    }
  }
  return { Successful: successful, Failed: failed };
}

const SYSTEM_ATTRIBUTE_NAMES = [
  'SenderId',
  'SentTimestamp',
  'ApproximateReceiveCount',
  'ApproximateFirstReceiveTimestamp',
  'AWSTraceHeader',
  'DeadLetterQueueSourceArn',
  'MessageGroupId',
  'MessageDeduplicationId',
  'SequenceNumber',
] as const;

function receivedMessageOf(queue: SqsQueue, delivery: Delivery, systemAttributeNames: readonly string[], messageAttributeNames: readonly string[] | undefined) {
  const { message } = delivery;
  const systemAttributes = systemAttributesOf(queue, delivery, systemAttributeNames);
  const messageAttributes = selectMessageAttributes(message.content.messageAttributes, messageAttributeNames);
  return {
    MessageId: message.messageId,
    ReceiptHandle: delivery.receiptHandle,
    MD5OfBody: message.content.md5OfBody,
    Body: message.content.body,
    ...(systemAttributes ? { Attributes: systemAttributes } : {}),
    ...(messageAttributes
      ? {
          // The digest covers the attributes returned, so a filtered receive still verifies.
          MD5OfMessageAttributes:
            messageAttributes === message.content.messageAttributes ? message.content.md5OfMessageAttributes : md5OfMessageAttributes(messageAttributes),
          MessageAttributes: messageAttributes,
        }
      : {}),
  };
}

function systemAttributesOf(queue: SqsQueue, delivery: Delivery, requested: readonly string[]): Record<string, string> | undefined {
  if (requested.length === 0) return undefined;
  const all = requested.includes('All');
  const attributes: Record<string, string> = {};
  let count = 0;
  for (const name of SYSTEM_ATTRIBUTE_NAMES) {
    if (!all && !requested.includes(name)) continue;
    const value = systemAttributeOf(queue, delivery, delivery.message, name);
    if (value === undefined) continue;
    attributes[name] = value;
    count++;
  }
  return count > 0 ? attributes : undefined;
}

function systemAttributeOf(queue: SqsQueue, delivery: Delivery, message: StoredMessage, name: (typeof SYSTEM_ATTRIBUTE_NAMES)[number]): string | undefined {
  switch (name) {
    case 'SenderId':
      return message.senderId;
    case 'SentTimestamp':
      return String(message.sentTimestamp);
    case 'ApproximateReceiveCount':
      return String(delivery.receiveCount);
    case 'ApproximateFirstReceiveTimestamp':
      return String(delivery.firstReceiveTimestamp);
    case 'AWSTraceHeader':
      return message.content.awsTraceHeader;
    case 'DeadLetterQueueSourceArn':
      return message.deadLetterSourceArn;
    case 'MessageGroupId':
      return message.content.messageGroupId;
    case 'MessageDeduplicationId':
      return message.deduplicationId;
    case 'SequenceNumber':
      return queue.fifo ? sequenceNumberOf(message.seq) : undefined;
  }
}

/**
 * Names are listed in order; NextToken is the base64 of the last name returned. As on AWS, a token
 * is only handed out when the caller set MaxResults.
 */
function paginate(names: readonly string[], maxResults: number | undefined, nextToken: string | undefined): { page: string[]; nextToken?: string } {
  if (maxResults !== undefined && (maxResults < 1 || maxResults > MAXIMUM_LIST_RESULTS)) {
    throw sqsErrors.invalidParameterValue(`Value ${maxResults} for parameter MaxResults is invalid. Reason: must be between 1 and ${MAXIMUM_LIST_RESULTS}.`);
  }
  let start = 0;
  if (nextToken !== undefined) {
    const after = Buffer.from(nextToken, 'base64').toString('utf8');
    if (!QUEUE_NAME.test(after)) throw sqsErrors.invalidParameterValue('Invalid NextToken value.');
    start = names.findIndex((name) => name > after);
    if (start < 0) start = names.length;
  }
  const size = maxResults ?? MAXIMUM_LIST_RESULTS;
  const page = names.slice(start, start + size);
  const last = page.at(-1);
  const more = maxResults !== undefined && start + size < names.length && last !== undefined;
  return more ? { page, nextToken: Buffer.from(last, 'utf8').toString('base64') } : { page };
}
