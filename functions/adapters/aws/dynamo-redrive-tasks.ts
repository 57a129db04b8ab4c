import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import { DependencyUnavailableError, RedriveInProgressError } from '../../../shared/domain/errors.js';
import { ACTIVE_REDRIVE_STATES, type RedriveTaskChanges, type RedriveTaskExpectation, type RedriveTaskRecord, type RedriveTaskStore, type RemovableTaskField } from '../../../shared/ports/redrive-tasks.js';

export interface DynamoRedriveTasksOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

/**
 * Redrive tasks on the job table, one item per queue (`REDRIVE#<queue>`): the latest task, which is
 * also the lock — a new one is put only when none is active. Every change is conditional on the task
 * id and on the nudge that drives it, so a consumer that lost the task (a duplicate message, a
 * process presumed dead) cannot write over the one that has it.
 */
export class DynamoRedriveTasks implements RedriveTaskStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: DynamoRedriveTasksOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async create(task: RedriveTaskRecord): Promise<void> {
    const active = Object.fromEntries(ACTIVE_REDRIVE_STATES.map((state, i) => [`:active${i}`, state]));
    try {
      await this.#client.send(new PutCommand({
        TableName: this.#tableName,
        Item: { ...keys.redriveTask(task.queue), ...task },
        ConditionExpression: `attribute_not_exists(pk) OR NOT (#state IN (${Object.keys(active).join(', ')}))`,
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: active,
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new RedriveInProgressError(task.queue);
      throw unavailable('create', error);
    }
  }

  async get(queue: string): Promise<RedriveTaskRecord | undefined> {
    try {
      const output = await this.#client.send(new GetCommand({ TableName: this.#tableName, Key: keys.redriveTask(queue), ConsistentRead: true }));
      return output.Item ? toTask(output.Item) : undefined;
    } catch (error) {
      throw unavailable('get', error);
    }
  }

  async update(queue: string, expect: RedriveTaskExpectation, changes: RedriveTaskChanges, remove: readonly RemovableTaskField[] = []): Promise<RedriveTaskRecord | undefined> {
    const names: Record<string, string> = { '#taskId': 'taskId', '#nudge': 'nudge', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':taskId': expect.taskId, ':expectNudge': expect.nudge, ':now': this.#now().toISOString() };
    const sets = ['#updatedAt = :now'];
    for (const [field, value] of Object.entries(changes)) {
      if (value === undefined) continue;
      names[`#${field}`] = field;
      values[`:${field}`] = value;
      sets.push(`#${field} = :${field}`);
    }
    const removes = remove.filter((field) => !(field in changes)).map((field) => {
      names[`#${field}`] = field;
      return `#${field}`;
    });
    let condition = '#taskId = :taskId AND #nudge = :expectNudge';
    if (expect.updatedAt !== undefined) {
      values[':seenUpdatedAt'] = expect.updatedAt;
      condition += ' AND #updatedAt = :seenUpdatedAt';
    }
    if (expect.leaseFreeAt !== undefined) {
      names['#leaseUntil'] = 'leaseUntil';
      values[':leaseFreeAt'] = expect.leaseFreeAt;
      condition += ' AND (attribute_not_exists(#leaseUntil) OR #leaseUntil < :leaseFreeAt)';
    }
    if (expect.leaseOwner !== undefined) {
      names['#leaseOwner'] = 'leaseOwner';
      values[':leaseOwner'] = expect.leaseOwner;
      condition += ' AND #leaseOwner = :leaseOwner';
    }
    try {
      const output = await this.#client.send(new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.redriveTask(queue),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }));
      return output.Attributes ? toTask(output.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw unavailable('update', error);
    }
  }

  async remove(queue: string, taskId: string): Promise<void> {
    try {
      await this.#client.send(new DeleteCommand({
        TableName: this.#tableName,
        Key: keys.redriveTask(queue),
        ConditionExpression: '#taskId = :taskId',
        ExpressionAttributeNames: { '#taskId': 'taskId' },
        ExpressionAttributeValues: { ':taskId': taskId },
      }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      throw unavailable('remove', error);
    }
  }
}

function toTask(item: Record<string, unknown>): RedriveTaskRecord {
  const { pk: _pk, sk: _sk, ...task } = item;
  return task as unknown as RedriveTaskRecord;
}

function unavailable(operation: string, error: unknown): DependencyUnavailableError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new DependencyUnavailableError('dynamodb', `redrive task ${operation} failed — ${reason}`, { cause: error });
}
