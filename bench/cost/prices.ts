/**
 * AWS list prices used by `npm run bench`, us-east-1, on-demand, after free tiers, first pricing tier.
 * One table, each price with the page it comes from. These are the published figures as of
 * `PRICES_AS_OF`; this machine has no internet access, so they were not re-read on the day the
 * bench ran — check the pages before quoting a figure.
 */
export const PRICES_AS_OF = '2025-11 (AWS pricing pages; DynamoDB on-demand after the 2024-11-01 price cut)';
export const REGION = 'us-east-1';

export const PRICES = {
  /** HTTP API: $1.00 per million requests (first 300 M/month), each 512 KB of a request metered as one. */
  httpApiRequest: { usd: 1.0 / 1e6, unit: 'request', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  /** REST API: $3.50 per million requests (first 333 M/month) — for the naive baseline only. */
  restApiRequest: { usd: 3.5 / 1e6, unit: 'request', source: 'https://aws.amazon.com/api-gateway/pricing/' },
  /** Lambda requests: $0.20 per million, either architecture. */
  lambdaRequest: { usd: 0.2 / 1e6, unit: 'invocation', source: 'https://aws.amazon.com/lambda/pricing/' },
  /** Lambda duration on arm64 (Graviton): $0.0000133334 per GB-second (first 7.5 billion GB-s/month), billed per 1 ms. */
  lambdaArmGbSecond: { usd: 0.0000133334, unit: 'GB-second', source: 'https://aws.amazon.com/lambda/pricing/' },
  /** SQS standard queue: $0.40 per million requests (after the first million), each 64 KB chunk of payload one request. */
  sqsRequest: { usd: 0.4 / 1e6, unit: 'request (64 KB chunk)', source: 'https://aws.amazon.com/sqs/pricing/' },
  /** DynamoDB on-demand, standard table class: $0.625 per million write request units (1 KB each). */
  dynamoWriteUnit: { usd: 0.625 / 1e6, unit: 'write request unit', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  /** DynamoDB on-demand: $0.125 per million read request units (4 KB strongly consistent, or 2 eventually consistent). */
  dynamoReadUnit: { usd: 0.125 / 1e6, unit: 'read request unit', source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/' },
  /** S3 Standard: PUT, COPY, POST, LIST $0.005 per 1,000 requests. */
  s3Put: { usd: 0.005 / 1e3, unit: 'PUT request', source: 'https://aws.amazon.com/s3/pricing/' },
  /** S3 Standard: GET, SELECT and all other requests $0.0004 per 1,000 (DELETE and lifecycle expiry are free). */
  s3Get: { usd: 0.0004 / 1e3, unit: 'GET request', source: 'https://aws.amazon.com/s3/pricing/' },
  /** S3 Standard storage: $0.023 per GB-month (first 50 TB). */
  s3StorageGbMonth: { usd: 0.023, unit: 'GB-month', source: 'https://aws.amazon.com/s3/pricing/' },
  /** Upstash QStash pay-as-you-go: $1 per 100,000 messages — for comparison only. */
  qstashMessage: { usd: 1 / 1e5, unit: 'message', source: 'https://upstash.com/pricing/qstash' },
} as const;

export type PriceName = keyof typeof PRICES;
