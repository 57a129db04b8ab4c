import { TABLE_LAYOUT } from '../../shared/config/table.js';

/**
 * The AWS actions each function's code actually calls, on its own resources only. Least privilege
 * is kept by hand here: when an adapter starts using a new command, add the action to the role that
 * runs it — the CDK tests pin these lists, so each change is deliberate and reviewed.
 */
export const TABLE_ACTIONS = {
  // DynamoJobStore (create, get, transition/requestCancel, discard, the send and follow-up markers),
  // DynamoIdempotencyStore (put, get, update, delete), DynamoApiKeys.resolve, DynamoTenantActivity.note (put),
  // the page-cursor key (read, created once: page-cursor.ts).
  api: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  // DynamoJobStore.getMany (a batch's records in one BatchGetItem) and .get (a conflict's re-read, a
  // PDF's source job), .transition and .recordProgress (conditional UpdateItem), and the conditional
  // clear of a flushed webhook. A DEAD job is listed by its own DEAD write: no PutItem.
  worker: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
  // DynamoApiKeys.resolve.
  authorizer: ['dynamodb:GetItem'],
  // The recovery sweep: records (get; claim, confirm and clear markers; discard a 503'd enqueue), the
  // idempotency entry of a keyed record (get), its own watermark (get, put).
  sweep: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  // A consumer that enqueues other jobs (JobService via FollowUpEnqueuer), beyond `worker`: the record
  // it creates (PutItem) and its discard when the message could not be sent (DeleteItem).
  enqueuer: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
  // The webhook consumer: the job's webhook log (DynamoWebhookLog: read, conditional update) and a
  // dead-lettered delivery's listing entry (put).
  webhooks: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  // A consumer with the `inbox` capability, beyond `worker`: a user's notification (DynamoNotificationStore.put).
  inbox: ['dynamodb:PutItem'],
} as const satisfies Record<string, readonly `dynamodb:${string}`[]>;

/**
 * DynamoJobListing queries the table's own partitions; DynamoDeadLetterIndex the sparse `deadLetters`
 * index: the API function only, not the other functions that share its item actions.
 */
export const API_QUERY_ACTIONS = ['dynamodb:Query'] as const;

/** The index ARN of one of the table's sparse indexes (shared/config/table.ts). */
export function indexArn(tableArn: string, index: keyof typeof TABLE_LAYOUT.indexes): string {
  return `${tableArn}/index/${TABLE_LAYOUT.indexes[index].name}`;
}

/** The API on each job queue: enqueue (SqsJobQueue) and read depths (SqsQueueAdmin). */
export const API_QUEUE_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes'] as const;

/**
 * The API on each DLQ: depths and the queue's URL (SqsQueueAdmin). A redrive is the redrive
 * consumer's (REDRIVE_DLQ_ACTIONS): the API only records its task and sends the first nudge.
 */
export const API_DLQ_ACTIONS = ['sqs:GetQueueAttributes', 'sqs:GetQueueUrl'] as const;

/**
 * The redrive consumer on the table: job records (get, the conditional DEAD → QUEUED, the clear of a
 * flushed webhook) and its task (get, conditional update). The task is created and removed by the API.
 */
export const REDRIVE_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:UpdateItem'] as const;

/**
 * The redrive consumer on each DLQ: the move (StartMessageMoveTask, ListMessageMoveTasks), its
 * depth and URL (SqsQueueAdmin). SQS requires the caller of StartMessageMoveTask to hold
 * ReceiveMessage, DeleteMessage and GetQueueAttributes on the source queue and SendMessage on the
 * destination (the job queue: REDRIVE_QUEUE_ACTIONS).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
 */
export const REDRIVE_DLQ_ACTIONS = [
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
] as const;

/** The redrive consumer on each job queue: its redrive policy (which DLQ) and the move's destination. */
export const REDRIVE_QUEUE_ACTIONS = ['sqs:GetQueueAttributes', 'sqs:SendMessage'] as const;

/** The API on each job type's event source mappings: pause and resume (LambdaEventSources). */
export const API_PAUSE_ACTIONS = ['lambda:UpdateEventSourceMapping'] as const;
