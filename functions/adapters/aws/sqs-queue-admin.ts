import {
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  StartMessageMoveTaskCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ConfigurationError, type ConveyorError, RedriveInProgressError } from '../../../shared/domain/errors.js';
import { sqsFailure } from './sdk-errors.js';
import type { QueueAdmin, QueueDepth, RedriveTask } from '../../../shared/ports/queue-admin.js';

export interface SqsQueueAdminOptions {
  readonly client: SQSClient;
  /** Job type (and `<type>:<priority>`) → source queue URL: the same map the API and workers get. */
  readonly queueUrls: Readonly<Record<string, string>>;
}

interface QueuePair {
  readonly url: string;
  readonly arn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
}

const DEPTH_ATTRIBUTES = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

/**
 * QueueAdmin on SQS. Each type's DLQ is found from its source queue's RedrivePolicy (the one
 * configuration AWS itself follows), so no extra environment is needed; the result is cached.
 */
export class SqsQueueAdmin implements QueueAdmin {
  readonly #client: SQSClient;
  readonly #queueUrls: Readonly<Record<string, string>>;
  readonly #pairs = new Map<string, Promise<QueuePair>>();

  constructor(options: SqsQueueAdminOptions) {
    this.#client = options.client;
    this.#queueUrls = options.queueUrls;
  }

  async depths(type: string): Promise<{ queue: QueueDepth; dlq: QueueDepth }> {
    const pair = await this.#pair(type);
    // A prioritized type has a queue per priority (`<type>:high`, `<type>:low`) sharing one DLQ.
    const sources = Object.entries(this.#queueUrls).filter(([key]) => key === type || key.startsWith(`${type}:`)).map(([, url]) => url);
    const [dlq, ...queues] = await Promise.all([this.#depth(pair.dlqUrl), ...sources.map((url) => this.#depth(url))]);
    const queue = queues.reduce((sum, d) => ({ visible: sum.visible + d.visible, inFlight: sum.inFlight + d.inFlight, delayed: sum.delayed + d.delayed }), { visible: 0, inFlight: 0, delayed: 0 });
    return { queue, dlq: dlq! };
  }

  async startRedrive(type: string): Promise<void> {
    const { arn, dlqArn } = await this.#pair(type);
    try {
      // To the type's queue, named: the worker sends a DEAD job's message to the DLQ itself, and SQS can
      // return only messages its redrive policy moved to "their original source queue" (StartMessageMoveTask,
      // DestinationArn). A prioritized job's redriven message thus runs on the normal lane.
      await this.#client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: arn }));
    } catch (error) {
      if (error instanceof Error && /already a task running/i.test(error.message)) throw new RedriveInProgressError(type);
      throw unavailable('StartMessageMoveTask', error);
    }
  }

  async latestRedrive(type: string): Promise<RedriveTask | undefined> {
    const { dlqArn } = await this.#pair(type);
    const output = await this.#call('ListMessageMoveTasks', () => this.#client.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 1 })));
    const task = output.Results?.[0];
    if (!task) return undefined;
    return {
      status: (task.Status ?? 'FAILED') as RedriveTask['status'],
      moved: Number(task.ApproximateNumberOfMessagesMoved ?? 0),
      toMove: Number(task.ApproximateNumberOfMessagesToMove ?? 0),
      startedAt: new Date(Number(task.StartedTimestamp ?? 0)).toISOString(),
      ...(task.FailureReason ? { failureReason: task.FailureReason } : {}),
    };
  }

  #pair(type: string): Promise<QueuePair> {
    let pair = this.#pairs.get(type);
    if (!pair) {
      pair = this.#discover(type);
      // A failed discovery is retried on the next call rather than cached.
      pair.catch(() => this.#pairs.delete(type));
      this.#pairs.set(type, pair);
    }
    return pair;
  }

  async #discover(type: string): Promise<QueuePair> {
    const url = this.#queueUrls[type];
    if (!url) throw new ConfigurationError(`no queue configured for job type "${type}" (CONVEYOR_QUEUE_URLS)`, { dependency: 'sqs' });
    const attributes = await this.#call('GetQueueAttributes', () => this.#client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['RedrivePolicy', 'QueueArn'] })));
    const arn = attributes.Attributes?.QueueArn;
    if (!arn) throw new ConfigurationError(`queue of job type "${type}" has no QueueArn`, { dependency: 'sqs' });
    const policy = attributes.Attributes?.RedrivePolicy;
    const dlqArn = policy ? (JSON.parse(policy) as { deadLetterTargetArn?: string }).deadLetterTargetArn : undefined;
    if (!dlqArn) throw new ConfigurationError(`queue of job type "${type}" has no dead-letter queue (RedrivePolicy)`, { dependency: 'sqs' });
    // arn:aws:sqs:<region>:<account>:<name>
    const [, , , , account, name] = dlqArn.split(':');
    const dlq = await this.#call('GetQueueUrl', () => this.#client.send(new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account })));
    if (!dlq.QueueUrl) throw new ConfigurationError(`dead-letter queue ${dlqArn} has no URL`, { dependency: 'sqs' });
    return { url, arn, dlqUrl: dlq.QueueUrl, dlqArn };
  }

  async #depth(queueUrl: string): Promise<QueueDepth> {
    const output = await this.#call('GetQueueAttributes', () => this.#client.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: [...DEPTH_ATTRIBUTES] })));
    const value = (name: (typeof DEPTH_ATTRIBUTES)[number]) => Number(output.Attributes?.[name] ?? 0);
    return { visible: value('ApproximateNumberOfMessages'), inFlight: value('ApproximateNumberOfMessagesNotVisible'), delayed: value('ApproximateNumberOfMessagesDelayed') };
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw unavailable(operation, error);
    }
  }
}

/** The named error of a failed call (sdk-errors.ts: configuration fault, bug, or unavailable). */
function unavailable(operation: string, error: unknown): ConveyorError {
  return sqsFailure(operation, error);
}
