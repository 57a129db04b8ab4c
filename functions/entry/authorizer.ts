import { endpointsOf, parseConfig } from '../../shared/config/env.js';
import { createDynamoClient } from '../adapters/aws/clients.js';
import { DynamoApiKeys } from '../adapters/aws/dynamo-api-keys.js';
import { createApiKeyAuthorizer } from '../auth/api-key-authorizer.js';
import { JsonLogger } from '../../shared/logging/logger.js';

// Built once per cold start; a warm authorizer also keeps resolved keys in memory for a minute.
const config = parseConfig(process.env);
const client = createDynamoClient({ region: config.AWS_REGION, endpoints: endpointsOf(config) });

export const handler = createApiKeyAuthorizer({
  keys: new DynamoApiKeys({ client, tableName: config.CONVEYOR_TABLE_NAME }),
  // Not through wiring.ts: that would bundle the API app and the SQS client into the authorizer.
  logger: new JsonLogger({ level: config.LOG_LEVEL, fields: { stage: config.CONVEYOR_STAGE, fn: 'authorizer' } }),
});
