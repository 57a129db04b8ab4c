import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../../shared/config/table.js';
import type { WebhookDeadLetterUnlisting } from '../../../shared/ports/webhook-log.js';
import { dynamoFailure } from './sdk-errors.js';

/** Takes a redriven delivery off the webhooks DLQ listing (apart from DynamoWebhookLog: only the API deletes). */
export class DynamoWebhookUnlisting implements WebhookDeadLetterUnlisting {
  constructor(private readonly options: { client: DynamoDBDocumentClient; tableName: string }) {}

  async unlist(jobId: string): Promise<void> {
    try {
      await this.options.client.send(new DeleteCommand({ TableName: this.options.tableName, Key: keys.webhookDeadLetter(jobId) }));
    } catch (error) {
      throw dynamoFailure('webhook dead-letter unlisting', error);
    }
  }
}
