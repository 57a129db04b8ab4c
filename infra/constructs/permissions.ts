/**
 * The AWS actions each function's code actually calls, on its own resources only. Least privilege
 * is kept by hand here: when an adapter starts using a new command, add the action to the role that
 * runs it — the CDK tests pin these lists, so each change is deliberate and reviewed.
 */
export const TABLE_ACTIONS = {
  // DynamoJobStore (create, get, transition/requestCancel, discard), DynamoIdempotencyStore (put, get,
  // update, delete), DynamoApiKeys.resolve, DynamoDeadLetterIndex (add on DEAD, remove on redrive/retry),
  // the page-cursor key (read, created once: page-cursor.ts).
  api: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
  // DynamoJobStore.getMany (a batch's records in one BatchGetItem) and .get (a conflict's re-read, a
  // PDF's source job), .transition and .recordProgress (conditional UpdateItem); the dead-letter index
  // entry written when a job goes DEAD (PutItem).
  worker: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'],
  // DynamoApiKeys.resolve.
  authorizer: ['dynamodb:GetItem'],
  // A consumer that enqueues other jobs (JobService via FollowUpEnqueuer), beyond `worker`: the discard
  // of a record whose message could not be sent (DeleteItem).
  enqueuer: ['dynamodb:DeleteItem'],
} as const satisfies Record<string, readonly `dynamodb:${string}`[]>;

/**
 * DynamoJobListing and DynamoDeadLetterIndex query the table's own partitions (there is no index):
 * the API function only, not the other functions that share its item actions.
 */
export const API_QUERY_ACTIONS = ['dynamodb:Query'] as const;

/** The API on each job queue: enqueue (SqsJobQueue) and read depths (SqsQueueAdmin). */
export const API_QUEUE_ACTIONS = ['sqs:SendMessage', 'sqs:GetQueueAttributes'] as const;

/**
 * The API on each DLQ: depths and the queue's URL (SqsQueueAdmin), and the redrive. SQS requires the
 * caller of StartMessageMoveTask to hold ReceiveMessage, DeleteMessage and GetQueueAttributes on the
 * source queue and SendMessage on the destination (the job queue, granted above).
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html
 */
export const API_DLQ_ACTIONS = [
  'sqs:GetQueueAttributes',
  'sqs:GetQueueUrl',
  'sqs:StartMessageMoveTask',
  'sqs:ListMessageMoveTasks',
  'sqs:ReceiveMessage',
  'sqs:DeleteMessage',
] as const;

/** The API on each job type's event source mappings: pause and resume (LambdaEventSources). */
export const API_PAUSE_ACTIONS = ['lambda:UpdateEventSourceMapping'] as const;
