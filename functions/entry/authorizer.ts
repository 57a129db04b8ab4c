import { parseConfig } from '../../shared/config/env.js';
import { createInvocations } from '../../shared/logging/invocation.js';
import { createLogger } from '../../shared/logging/logger.js';
import { awsClientSettings, createDynamoClient } from '../adapters/aws/clients.js';
import { DynamoApiKeys } from '../adapters/aws/dynamo-api-keys.js';
import { enableTracing } from '../adapters/aws/tracing.js';
import { createApiKeyAuthorizer } from '../auth/api-key-authorizer.js';

// Built once per cold start; a warm authorizer also keeps resolved keys in memory for a minute.
// It needs the key table alone, so it builds its one client here rather than through a root.
const config = parseConfig(process.env);
await enableTracing(config);

export const handler = createInvocations(config).wrap(
  createApiKeyAuthorizer({
    keys: new DynamoApiKeys({ client: createDynamoClient(awsClientSettings(config)), tableName: config.CONVEYOR_TABLE_NAME }),
    logger: createLogger(config, { fn: 'authorizer' }),
  }),
);
