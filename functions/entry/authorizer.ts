import { parseConfig, endpointsOf } from '../../shared/config/env.js';
import { createDynamoClient } from '../adapters/aws/clients.js';
import { DynamoApiKeys } from '../adapters/aws/dynamo-api-keys.js';
import { createApiKeyAuthorizer } from '../auth/api-key-authorizer.js';
import { createLogger } from '../wiring.js';

// Built once per cold start; a warm authorizer also keeps resolved keys in memory for a minute.
const config = parseConfig(process.env);
const client = createDynamoClient({ region: config.AWS_REGION, endpoints: endpointsOf(config) });

export const handler = createApiKeyAuthorizer({
  keys: new DynamoApiKeys({ client, tableName: config.CONVEYOR_TABLE_NAME }),
  logger: createLogger(config, { fn: 'authorizer' }),
});
