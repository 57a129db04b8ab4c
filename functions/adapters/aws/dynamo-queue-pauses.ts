import { DeleteCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import { DependencyUnavailableError } from '../../../shared/domain/errors.js';
import type { QueuePause, QueuePauseStore } from '../../../shared/ports/queue-pauses.js';

export interface DynamoQueuePausesOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/** QueuePauseStore as one item per paused type in the job table (`QUEUES` / `PAUSE#<type>`). */
export class DynamoQueuePauses implements QueuePauseStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoQueuePausesOptions) {
    this.#client = options.client;
    this.#tableName = options.tableName;
  }

  async put(pause: QueuePause): Promise<QueuePause> {
    try {
      // if_not_exists: pausing a paused type again keeps when and by whom it was first paused.
      const output = await this.#client.send(new UpdateCommand({
        TableName: this.#tableName,
        Key: keys.queuePause(pause.type),
        UpdateExpression: 'SET #type = :type, #pausedAt = if_not_exists(#pausedAt, :pausedAt), #pausedBy = if_not_exists(#pausedBy, :pausedBy)',
        ExpressionAttributeNames: { '#type': 'type', '#pausedAt': 'pausedAt', '#pausedBy': 'pausedBy' },
        ExpressionAttributeValues: { ':type': pause.type, ':pausedAt': pause.pausedAt, ':pausedBy': pause.pausedBy },
        ReturnValues: 'ALL_NEW',
      }));
      return toPause(output.Attributes ?? {}) ?? pause;
    } catch (error) {
      throw unavailable('put', error);
    }
  }

  async remove(type: string): Promise<void> {
    try {
      await this.#client.send(new DeleteCommand({ TableName: this.#tableName, Key: keys.queuePause(type) }));
    } catch (error) {
      throw unavailable('remove', error);
    }
  }

  async list(): Promise<readonly QueuePause[]> {
    try {
      // One item per job type at most: a single page.
      const output = await this.#client.send(new QueryCommand({
        TableName: this.#tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': keys.queuePauses, ':prefix': 'PAUSE#' },
        ConsistentRead: true,
      }));
      return (output.Items ?? []).flatMap((item) => toPause(item) ?? []);
    } catch (error) {
      throw unavailable('list', error);
    }
  }
}

function toPause(item: Record<string, unknown>): QueuePause | undefined {
  const { type, pausedAt, pausedBy } = item;
  return typeof type === 'string' && typeof pausedAt === 'string' && typeof pausedBy === 'string' ? { type, pausedAt, pausedBy } : undefined;
}

function unavailable(operation: string, error: unknown): DependencyUnavailableError {
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new DependencyUnavailableError('dynamodb', `queue pauses ${operation} failed — ${reason}`, { cause: error });
}
