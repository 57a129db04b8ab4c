/**
 * The DynamoDB actions each function's code actually calls, on the job table only. Least privilege
 * is kept by hand here: when an adapter starts using a new command (say `Query` for listing), add
 * the action to the role that runs it — the CDK tests pin these lists, so the change is deliberate.
 */
export const TABLE_ACTIONS = {
  // DynamoJobStore.create (PutItem), .get (GetItem), .discard (DeleteItem); DynamoApiKeys.resolve (GetItem).
  api: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
  // DynamoJobStore.transition and .recordProgress are conditional UpdateItem calls; GetItem reads a job back.
  worker: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
  // DynamoApiKeys.resolve.
  authorizer: ['dynamodb:GetItem'],
} as const satisfies Record<string, readonly `dynamodb:${string}`[]>;

/** What the API needs on each job queue: enqueue only. */
export const API_QUEUE_ACTIONS = ['sqs:SendMessage'] as const;
