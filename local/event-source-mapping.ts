import { ChangeMessageVisibilityBatchCommand, DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { isFifoQueue } from '../shared/jobs/derived.js';
import type { Logger } from '../shared/ports/logger.js';
import { lambdaContext } from './api-gateway.js';

export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: { itemIdentifier: string }[] } | void>;

export interface EventSourceMappingOptions {
  readonly client: SQSClient;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly functionName: string;
  readonly handler: SqsBatchHandler;
  readonly batchSize: number;
  readonly batchingWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly functionTimeoutSeconds: number;
  readonly logger: Logger;
  readonly region?: string;
  /** Long-poll wait per ReceiveMessage; AWS's pollers use 20 s. */
  readonly waitTimeSeconds?: number;
  /**
   * Fault injection: asked before each invocation; `true` refuses it as Lambda refuses an invocation
   * over the account's concurrency. The batch goes back to the queue unprocessed (visibility 0 here; on
   * AWS after its visibility timeout), each of its messages having spent a receive without a run.
   */
  readonly throttle?: () => boolean;
}

export interface EventSourceMappingStats {
  readonly invocations: number;
  readonly records: number;
  readonly deleted: number;
  readonly failedItems: number;
  readonly failedBatches: number;
  /** Batches refused by `throttle` (handed back without an invocation). */
  readonly throttledBatches: number;
  readonly throttledRecords: number;
  readonly inFlight: number;
  /**
   * FIFO: records the function acknowledged although a record before them in their group failed. Lambda
   * deletes them as told (the group's order is then lost); AWS asks the function not to do that.
   */
  readonly fifoOrderBreaks: number;
}

/**
 * The SQS → Lambda event source mapping, emulated with the same contract as AWS:
 * - up to `maxConcurrency` invocations at once, each fed by its own long-polling poller;
 * - a batch of up to `batchSize` records, gathered for at most `batchingWindowSeconds`;
 * - the function gets `functionTimeoutSeconds`; a batch that throws or times out is left in the
 *   queue whole (it returns after the visibility timeout);
 * - with `ReportBatchItemFailures` (always on in Conveyor) only the reported records stay; the rest are
 *   deleted. A malformed response (unknown or empty id) fails the whole batch, as on AWS.
 * - a FIFO queue (`.fifo`): batches of at most 10 and no batching window (Lambda refuses both for FIFO
 *   sources, services-sqs-parameters); SQS's own group lock and order make each group's records arrive in
 *   order, one batch of a group at a time, and records carry `MessageGroupId`, `SequenceNumber` and
 *   `MessageDeduplicationId`, as Lambda's FIFO events do. The function must stop a group at its first
 *   failure and report the rest (services-sqs-errorhandling); like Lambda, this mapping deletes what it is
 *   told to, and counts a response that acknowledges a record after a failed one of its group
 *   (`fifoOrderBreaks`), so tests can see the contract kept.
 */
export class SqsEventSourceMapping {
  readonly #options: EventSourceMappingOptions;
  #abort = new AbortController();
  #pollers: Promise<void>[] = [];
  #invocations = 0;
  /** Records of the invocations under way, for handing them back at a forced stop. */
  readonly #inFlight = new Set<SQSRecord[]>();
  #stats = { invocations: 0, records: 0, deleted: 0, failedItems: 0, failedBatches: 0, throttledBatches: 0, throttledRecords: 0, fifoOrderBreaks: 0 };
  readonly #fifo: boolean;

  constructor(options: EventSourceMappingOptions) {
    this.#fifo = isFifoQueue(options.queueArn);
    if (this.#fifo && (options.batchSize > 10 || options.batchingWindowSeconds > 0)) {
      throw new Error(`event source mapping ${options.functionName}: a FIFO queue allows batches of at most 10 and no batching window`);
    }
    this.#options = options;
  }

  get stats(): EventSourceMappingStats {
    return { ...this.#stats, inFlight: this.#invocations };
  }

  /** Whether it is polling (started and not stopped since). */
  get enabled(): boolean {
    return this.#pollers.length > 0 && !this.#abort.signal.aborted;
  }

  /**
   * Starts polling; after `stop()` it may start again (as disabling and enabling a mapping does). A
   * poller of the previous run still finishing its invocation keeps its slot until it is done, so
   * there are never more than `maxConcurrency` invocations at once.
   */
  start(): void {
    if (this.enabled) return;
    const previous = this.#pollers;
    this.#abort = new AbortController();
    const signal = this.#abort.signal;
    this.#pollers = Array.from({ length: this.#options.maxConcurrency }, (_, i) => (previous[i] ?? Promise.resolve()).then(() => this.#poll(signal)));
  }

  /**
   * Stops receiving and lets invocations under way finish. With `graceMs`, invocations still running
   * after it have their messages handed back to the queue (visibility 0), so no job waits out a
   * visibility timeout after a restart; the job's next delivery reclaims it (a newer receive count).
   * Resolves with how many messages were handed back.
   */
  async stop(options: { graceMs?: number } = {}): Promise<number> {
    this.#abort.abort();
    const finished = Promise.all(this.#pollers).then(() => true);
    if (options.graceMs === undefined) return (await finished, 0);
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), options.graceMs);
    });
    const allFinished = await Promise.race([finished, graceOver]);
    clearTimeout(timer);
    if (allFinished) return 0;
    const records = [...this.#inFlight].flat();
    await this.#handBack(records);
    return records.length;
  }

  async #handBack(records: SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      try {
        await this.#options.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.#options.queueUrl,
            Entries: chunk.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 })),
          }),
        );
      } catch (error) {
        // They come back after their visibility timeout instead: late, but not lost.
        this.#options.logger.warn('event source mapping: could not hand messages back at stop', { error });
      }
    }
  }

  async #poll(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      let messages: Message[];
      try {
        messages = await this.#gatherBatch(signal);
      } catch (error) {
        if (signal.aborted) return;
        this.#options.logger.warn('event source mapping: receive failed; backing off', { queueUrl: this.#options.queueUrl, error });
        await sleep(1_000, signal);
        continue;
      }
      if (messages.length) await this.#invoke(messages);
    }
  }

  async #gatherBatch(signal: AbortSignal): Promise<Message[]> {
    const { batchSize, batchingWindowSeconds } = this.#options;
    const batch: Message[] = [];
    const windowEnds = Date.now() + batchingWindowSeconds * 1000;
    do {
      const remainingWindow = Math.max(0, windowEnds - Date.now());
      const waitTimeSeconds = batch.length === 0 ? (this.#options.waitTimeSeconds ?? 20) : Math.min(20, Math.ceil(remainingWindow / 1000));
      const output = await this.#options.client.send(
        new ReceiveMessageCommand({
          QueueUrl: this.#options.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          WaitTimeSeconds: waitTimeSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: signal },
      );
      batch.push(...(output.Messages ?? []));
      if (batch.length === 0) return batch;
    } while (batch.length < batchSize && Date.now() < windowEnds && !signal.aborted);
    return batch;
  }

  async #invoke(messages: Message[]): Promise<void> {
    const { handler, functionName, functionTimeoutSeconds, logger } = this.#options;
    const event: SQSEvent = { Records: messages.map((m) => this.#toRecord(m)) };
    if (this.#options.throttle?.()) {
      this.#stats.throttledBatches++;
      this.#stats.throttledRecords += event.Records.length;
      await this.#handBack(event.Records);
      return;
    }
    this.#invocations++;
    this.#inFlight.add(event.Records);
    this.#stats.invocations++;
    this.#stats.records += messages.length;
    const deadline = Date.now() + functionTimeoutSeconds * 1000;
    let failedIds: Set<string>;
    try {
      const response = await Promise.race([
        handler(event, lambdaContext(functionName, deadline)),
        new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), functionTimeoutSeconds * 1000).unref()),
      ]);
      if (response === 'timeout') throw new Error(`function timed out after ${functionTimeoutSeconds} s`);
      failedIds = this.#failedIdsOf(response, event);
    } catch (error) {
      this.#stats.failedBatches++;
      logger.warn('event source mapping: invocation failed; the whole batch stays in the queue', { functionName, error });
      failedIds = new Set(event.Records.map((r) => r.messageId));
    } finally {
      this.#invocations--;
      this.#inFlight.delete(event.Records);
    }
    this.#stats.failedItems += failedIds.size;
    if (this.#fifo) this.#stats.fifoOrderBreaks += acknowledgedAfterFailure(event.Records, failedIds);
    const toDelete = event.Records.filter((r) => !failedIds.has(r.messageId));
    if (toDelete.length) await this.#delete(toDelete);
  }

  #failedIdsOf(response: Awaited<ReturnType<SqsBatchHandler>>, event: SQSEvent): Set<string> {
    const ids = new Set(event.Records.map((r) => r.messageId));
    const failures = response && 'batchItemFailures' in response ? response.batchItemFailures : [];
    const failed = new Set<string>();
    for (const failure of failures ?? []) {
      // AWS treats a missing, empty or unknown itemIdentifier as a failure of the whole batch.
      if (!failure?.itemIdentifier || !ids.has(failure.itemIdentifier)) return ids;
      failed.add(failure.itemIdentifier);
    }
    return failed;
  }

  async #delete(records: SQSRecord[]): Promise<void> {
    for (let i = 0; i < records.length; i += 10) {
      const chunk = records.slice(i, i + 10);
      try {
        const output = await this.#options.client.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.#options.queueUrl,
            Entries: chunk.map((r, index) => ({ Id: String(index), ReceiptHandle: r.receiptHandle })),
          }),
        );
        this.#stats.deleted += output.Successful?.length ?? 0;
      } catch (error) {
        // Undeleted messages are redelivered after their visibility timeout: at-least-once, as on AWS.
        this.#options.logger.warn('event source mapping: delete failed', { error });
      }
    }
  }

  /**
   * A message as Lambda's SQS event carries it: system attributes under `attributes`, message
   * attributes under `messageAttributes` as `{stringValue | binaryValue (base64), stringListValues,
   * binaryListValues, dataType}` (the correlation id travels there), `md5OfMessageAttributes` beside them.
   * https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event
   */
  #toRecord(message: Message): SQSRecord {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'local',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
        // FIFO (and fair-queue) messages: Lambda passes the group and sequence on (AWS's FIFO event example).
        ...(attributes.MessageGroupId !== undefined ? { MessageGroupId: attributes.MessageGroupId } : {}),
        ...(attributes.SequenceNumber !== undefined ? { SequenceNumber: attributes.SequenceNumber } : {}),
        ...(attributes.MessageDeduplicationId !== undefined ? { MessageDeduplicationId: attributes.MessageDeduplicationId } : {}),
      },
      messageAttributes: Object.fromEntries(
        Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
          name,
          {
            ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
            ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
            stringListValues: [],
            binaryListValues: [],
            dataType: value.DataType ?? 'String',
          },
        ]),
      ),
      ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
      md5OfBody: message.MD5OfBody ?? '',
      eventSource: 'aws:sqs',
      eventSourceARN: this.#options.queueArn,
      awsRegion: this.#options.region ?? 'us-east-1',
    };
  }
}

/** How many records were acknowledged after a failed record of their own group (FIFO). */
function acknowledgedAfterFailure(records: readonly SQSRecord[], failedIds: ReadonlySet<string>): number {
  const failedGroups = new Set<string>();
  let breaks = 0;
  for (const record of records) {
    const group = record.attributes.MessageGroupId ?? '';
    if (failedIds.has(record.messageId)) failedGroups.add(group);
    else if (failedGroups.has(group)) breaks++;
  }
  return breaks;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
