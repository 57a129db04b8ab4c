import { randomUUID } from 'node:crypto';
import { sqsErrors } from './errors.js';
import type { Clock, SqsQueue } from './queue.js';

/**
 * Dead-letter queue redrive: StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask.
 *
 * Behaviour follows the API reference and the redrive guide:
 * - the source must be the dead-letter queue of some queue; one active task per source;
 * - without DestinationArn each message goes back to the queue that dead-lettered it;
 * - moved messages are new messages (new id, new enqueue time, receive count 0);
 * - source and destination are of one type ("if the dead-letter queue is a FIFO queue, the redrive
 *   destination queue must be a FIFO queue as well", DLQ redrive guide);
 * - the task is asynchronous: StartMessageMoveTask returns a handle at once; messages move on later
 *   turns of the event loop, otherwise as fast as the loop allows in small bursts so the server stays
 *   responsive, or at MaxNumberOfMessagesPerSecond (1–500) when given: one at the start, then one more
 *   each 1/rate seconds on the server's clock (so a test moves it by moving its clock, then `tick()`);
 * - ApproximateNumberOfMessagesToMove is the source's visible count when the task starts; the task
 *   completes once that many are moved or nothing visible is left, and fails (FailureReason) when a
 *   queue it needs disappears — the message it was moving stays in the source.
 * The TaskHandle is base64 JSON {"taskId","sourceArn"}, the same shape AWS hands out.
 */

export type MoveTaskStatus = 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export interface MoveTaskQueues {
  readonly clock: Clock;
  findQueueByArn(arn: string): SqsQueue | undefined;
  isDeadLetterQueue(arn: string): boolean;
}

export interface MoveTaskEntry {
  readonly TaskHandle?: string;
  readonly Status: MoveTaskStatus;
  readonly SourceArn: string;
  readonly DestinationArn?: string;
  readonly MaxNumberOfMessagesPerSecond?: number;
  readonly ApproximateNumberOfMessagesMoved: number;
  readonly ApproximateNumberOfMessagesToMove: number;
  readonly FailureReason?: string;
  readonly StartedTimestamp: number;
}

interface MoveTask {
  readonly taskId: string;
  readonly taskHandle: string;
  readonly sourceArn: string;
  readonly destinationArn: string | undefined;
  readonly maxNumberOfMessagesPerSecond: number | undefined;
  readonly toMove: number;
  readonly startedTimestamp: number;
  status: MoveTaskStatus;
  moved: number;
  failureReason: string | undefined;
  timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
}

const QUEUE_ARN = /^arn:[^:]+:sqs:[^:]*:[^:]*:[^:]+$/;
const UNTHROTTLED_BURST = 250;
const MAXIMUM_RATE = 500;
/** ListMessageMoveTasks shows at most the ten most recent tasks per source; older ones are forgotten. */
const HISTORY_PER_SOURCE = 10;
const NON_EXISTENT_QUEUE = 'AWS.SimpleQueueService.NonExistentQueue';

export class MessageMoveTaskManager {
  readonly #tasks = new Map<string, MoveTask>();
  readonly #queues: MoveTaskQueues;

  constructor(queues: MoveTaskQueues) {
    this.#queues = queues;
  }

  start(sourceArn: string, destinationArn: string | undefined, maxNumberOfMessagesPerSecond: number | undefined): string {
    requireArnFormat(sourceArn, 'SourceArn');
    const source = this.#queues.findQueueByArn(sourceArn);
    if (!source) throw sqsErrors.resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    if (!this.#queues.isDeadLetterQueue(sourceArn)) throw sqsErrors.invalidParameterValue('Source queue must be configured as a Dead Letter Queue.');
    if (destinationArn !== undefined) {
      requireArnFormat(destinationArn, 'DestinationArn');
      const destination = this.#queues.findQueueByArn(destinationArn);
      if (!destination) {
        throw sqsErrors.resourceNotFound("The resource that you specified for the DestinationArn parameter doesn't exist.");
      }
      if (destination.fifo !== source.fifo) {
        throw sqsErrors.invalidParameterValue('The source queue and the destination queue must be of the same queue type (both standard or both FIFO).');
      }
    }
    if (maxNumberOfMessagesPerSecond !== undefined && (maxNumberOfMessagesPerSecond < 1 || maxNumberOfMessagesPerSecond > MAXIMUM_RATE)) {
      throw sqsErrors.invalidParameterValue(
        `Value ${maxNumberOfMessagesPerSecond} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and ${MAXIMUM_RATE}.`,
      );
    }
    for (const task of this.#tasks.values()) {
      if (task.sourceArn === sourceArn && task.status === 'RUNNING') {
        throw sqsErrors.invalidParameterValue(
          'There is already a task running. Only one active task is allowed for a source queue arn at a given time.',
        );
      }
    }
    const taskId = randomUUID();
    const task: MoveTask = {
      taskId,
      taskHandle: Buffer.from(JSON.stringify({ taskId, sourceArn }), 'utf8').toString('base64'),
      sourceArn,
      destinationArn,
      maxNumberOfMessagesPerSecond,
      toMove: source.counts().visible,
      startedTimestamp: this.#queues.clock(),
      status: 'RUNNING',
      moved: 0,
      failureReason: undefined,
      timer: undefined,
    };
    this.#tasks.set(taskId, task);
    this.#forgetOldTasks(sourceArn);
    task.timer = setImmediate(() => this.#step(task));
    return task.taskHandle;
  }

  list(sourceArn: string, maxResults: number | undefined): MoveTaskEntry[] {
    requireArnFormat(sourceArn, 'SourceArn');
    if (!this.#queues.findQueueByArn(sourceArn)) {
      throw sqsErrors.resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    }
    if (maxResults !== undefined && (maxResults < 1 || maxResults > HISTORY_PER_SOURCE)) {
      throw sqsErrors.invalidParameterValue(`Value ${maxResults} for parameter MaxResults is invalid. Reason: Must be between 1 and 10.`);
    }
    // The default of 1 returns the most recent task only (ListMessageMoveTasks reference).
    return this.#tasksOf(sourceArn)
      .slice(0, maxResults ?? 1)
      .map(toEntry);
  }

  cancel(taskHandle: string): number {
    const decoded = decodeTaskHandle(taskHandle);
    if (!decoded) throw sqsErrors.invalidParameterValue('Value for parameter TaskHandle is invalid.');
    if (!this.#queues.findQueueByArn(decoded.sourceArn)) {
      throw sqsErrors.resourceNotFound("The resource that you specified for the SourceArn parameter doesn't exist.");
    }
    const task = this.#tasks.get(decoded.taskId);
    if (!task || task.sourceArn !== decoded.sourceArn) throw sqsErrors.resourceNotFound('Task does not exist.');
    if (task.status !== 'RUNNING') throw sqsErrors.invalidParameterValue('Only active tasks can be cancelled.');
    this.#finish(task, 'CANCELLED');
    return task.moved;
  }

  /** Stops every running task's timers (server close). Tasks keep their last status. */
  close(): void {
    for (const task of this.#tasks.values()) this.#stopTimer(task);
  }

  /** Moves now what running tasks may move by the clock's present, without waiting for their timers. */
  tick(): void {
    for (const task of this.#tasks.values()) {
      if (task.status !== 'RUNNING') continue;
      this.#stopTimer(task);
      this.#step(task);
    }
  }

  #step(task: MoveTask): void {
    task.timer = undefined;
    if (task.status !== 'RUNNING') return;
    const source = this.#queues.findQueueByArn(task.sourceArn);
    if (!source) return this.#finish(task, 'FAILED', NON_EXISTENT_QUEUE);
    const rate = task.maxNumberOfMessagesPerSecond;
    const burst = rate === undefined ? UNTHROTTLED_BURST : allowance(task, rate, this.#queues.clock()) - task.moved;
    for (let count = 0; count < burst; count++) {
      if (task.moved >= task.toMove) return this.#finish(task, 'COMPLETED');
      const message = source.peekMovable();
      if (!message) return this.#finish(task, 'COMPLETED');
      const destinationArn = task.destinationArn ?? message.deadLetterSourceArn;
      if (destinationArn === undefined) {
        // Sent straight to the DLQ, so there is no "original source" to return it to.
        return this.#finish(task, 'FAILED', `Message ${message.messageId} was not dead-lettered from a source queue; specify DestinationArn.`);
      }
      const destination = this.#queues.findQueueByArn(destinationArn);
      if (!destination) return this.#finish(task, 'FAILED', NON_EXISTENT_QUEUE);
      source.removeMoved(message);
      destination.acceptRedriven(message);
      task.moved++;
    }
    if (task.moved >= task.toMove) return this.#finish(task, 'COMPLETED');
    if (rate === undefined) {
      task.timer = setImmediate(() => this.#step(task));
    } else {
      const nextAt = task.startedTimestamp + (task.moved * 1000) / rate;
      task.timer = setTimeout(() => this.#step(task), Math.max(nextAt - this.#queues.clock(), 0));
    }
  }

  #finish(task: MoveTask, status: Exclude<MoveTaskStatus, 'RUNNING'>, failureReason?: string): void {
    this.#stopTimer(task);
    task.status = status;
    task.failureReason = failureReason;
  }

  #stopTimer(task: MoveTask): void {
    if (task.timer === undefined) return;
    if (task.maxNumberOfMessagesPerSecond === undefined) clearImmediate(task.timer as NodeJS.Immediate);
    else clearTimeout(task.timer as NodeJS.Timeout);
    task.timer = undefined;
  }

  /** Most recent first. */
  #tasksOf(sourceArn: string): MoveTask[] {
    return [...this.#tasks.values()].filter((task) => task.sourceArn === sourceArn).sort((a, b) => b.startedTimestamp - a.startedTimestamp);
  }

  #forgetOldTasks(sourceArn: string): void {
    for (const task of this.#tasksOf(sourceArn).slice(HISTORY_PER_SOURCE)) {
      if (task.status !== 'RUNNING') this.#tasks.delete(task.taskId);
    }
  }
}

/** How many messages a rate-limited task may have moved by `now`: one at once, then one per 1/rate s. */
function allowance(task: MoveTask, rate: number, now: number): number {
  return Math.floor(((now - task.startedTimestamp) * rate) / 1000) + 1;
}

function toEntry(task: MoveTask): MoveTaskEntry {
  return {
    // AWS includes the handle only while the task can still be cancelled.
    ...(task.status === 'RUNNING' ? { TaskHandle: task.taskHandle } : {}),
    Status: task.status,
    SourceArn: task.sourceArn,
    ...(task.destinationArn !== undefined ? { DestinationArn: task.destinationArn } : {}),
    ...(task.maxNumberOfMessagesPerSecond !== undefined ? { MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond } : {}),
    ApproximateNumberOfMessagesMoved: task.moved,
    ApproximateNumberOfMessagesToMove: task.toMove,
    ...(task.failureReason !== undefined ? { FailureReason: task.failureReason } : {}),
    StartedTimestamp: task.startedTimestamp,
  };
}

function requireArnFormat(arn: string, parameter: string): void {
  if (!QUEUE_ARN.test(arn)) {
    throw sqsErrors.invalidParameterValue(
      `You must use this format to specify the ${parameter}: arn:<partition>:<service>:<region>:<account-id>:<resource-id>`,
    );
  }
}

function decodeTaskHandle(taskHandle: string): { taskId: string; sourceArn: string } | undefined {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(taskHandle, 'base64').toString('utf8'));
    if (typeof decoded !== 'object' || decoded === null) return undefined;
    const { taskId, sourceArn } = decoded as Record<string, unknown>;
    return typeof taskId === 'string' && typeof sourceArn === 'string' ? { taskId, sourceArn } : undefined;
  } catch {
    return undefined;
  }
}
