import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys, TABLE_LAYOUT } from '../../../shared/config/table.js';
import { appendWebhookAttempt, type WebhookLog } from '../../../shared/domain/webhook-log.js';
import { WEBHOOKS_QUEUE, type WebhookAttemptEntry, type WebhookLogStore } from '../../../shared/ports/webhook-log.js';
import { dynamoFailure } from './sdk-errors.js';

/** Conflicting writers (duplicate deliveries) settle in a round or two; past this, something is wrong. */
const MAX_ROUNDS = 8;

/**
 * WebhookLogStore on the job table (the webhook consumer's half; the API unlists: dynamo-webhook-unlisting.ts). The log is one map attribute of the job's item (`webhook`),
 * rewritten whole by a read and an UpdateItem conditional on the log read (its ending and attempt
 * count): a concurrent writer makes the condition fail and the attempt is merged again on a fresh read.
 * A dead-lettered delivery is listed as its own small item in the `deadLetters` index under
 * `webhooks` (a DEAD job is already listed there under its type, so the job's item cannot carry both).
 */
export class DynamoWebhookLog implements WebhookLogStore {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async record(entry: WebhookAttemptEntry): Promise<'recorded' | 'duplicate' | 'missing'> {
    const key = keys.job(entry.jobId);
    if (!key) return 'missing';
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const read = await this.#call('webhook log read', () =>
        this.options.client.send(new GetCommand({ TableName: this.options.tableName, Key: key, ConsistentRead: true, ProjectionExpression: 'pk, webhook' })),
      );
      if (!read.Item) return 'missing';
      const seen = read.Item.webhook as WebhookLog | undefined;
      const next = appendWebhookAttempt(seen, entry.finishedAt, entry.state, entry.attempt);
      if (!next) return 'duplicate';
      try {
        await this.options.client.send(
          new UpdateCommand({
            TableName: this.options.tableName,
            Key: key,
            UpdateExpression: 'SET webhook = :next',
            ConditionExpression: seen ? 'attribute_exists(pk) AND webhook.finishedAt = :f AND webhook.attempts = :n' : 'attribute_exists(pk) AND attribute_not_exists(webhook)',
            ExpressionAttributeValues: { ':next': next, ...(seen ? { ':f': seen.finishedAt, ':n': seen.attempts } : {}) },
          }),
        );
        return 'recorded';
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw dynamoFailure('webhook log write', error);
      }
    }
    throw dynamoFailure('webhook log write', new Error(`the webhook log of ${entry.jobId} kept changing under ${MAX_ROUNDS} writes`));
  }

  async listDeadLetter(jobId: string, until: number): Promise<void> {
    await this.#call('webhook dead-letter listing', () =>
      this.options.client.send(
        new PutCommand({
          TableName: this.options.tableName,
          // The entry expires with the DLQ message it stands for.
          Item: { ...keys.webhookDeadLetter(jobId), [TABLE_LAYOUT.indexes.deadLetters.partitionKey]: WEBHOOKS_QUEUE, deadLetterUntil: until, [TABLE_LAYOUT.ttlAttribute]: until },
        }),
      ),
    );
  }

  async #call<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw dynamoFailure(operation, error);
    }
  }
}
