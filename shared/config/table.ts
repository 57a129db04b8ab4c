/**
 * The layout of Conveyor's single DynamoDB table, shared by the adapters, the CDK table construct
 * and the local cloud so that all three agree. Status is never a partition key (one hot partition
 * for every queued job); listing is per tenant by time through the `byTenant` index.
 */
export const TABLE_LAYOUT = {
  partitionKey: 'pk',
  ttlAttribute: 'ttl',
  indexes: {
    byTenant: { name: 'byTenant', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
  },
} as const;

export const keys = {
  job: (jobId: string) => `JOB#${jobId}`,
  apiKey: (keyHash: string) => `KEY#${keyHash}`,
  idempotency: (tenant: string, key: string) => `IDEM#${tenant}#${key}`,
  tenantJobs: (tenant: string) => `TENANT#${tenant}`,
  tenantJobSort: (createdAt: string, jobId: string) => `${createdAt}#${jobId}`,
  /**
   * Dead-letter entries: one small item per DEAD job, in the byTenant index under a partition per
   * job type (only dead jobs are there, so an operator lists a DLQ without scanning every job).
   */
  deadLetter: (jobId: string) => `DEADLETTER#${jobId}`,
  deadLetters: (type: string) => `DEADLETTERS#${type}`,
} as const;
