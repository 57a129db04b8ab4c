import type { ConveyorConfig } from '../../shared/config/env.js';
import { ConfigurationError } from '../../shared/domain/errors.js';
import type { RedriveNudges, RedriveTaskStore } from '../../shared/ports/redrive-tasks.js';
import { DynamoRedriveTasks } from '../adapters/aws/dynamo-redrive-tasks.js';
import { SqsRedriveNudges } from '../adapters/aws/sqs-redrive-nudges.js';
import type { CoreClients } from '../wiring.js';

/**
 * Redrive tasks on the table, and the queue whose consumer carries them out (functions/roots/redrive.ts).
 * Apart from admin-wiring.ts, which reads the job registry: the redrive consumer's bundle needs none of it.
 */
export function createRedrives(config: ConveyorConfig, clients: CoreClients): { tasks: RedriveTaskStore; nudges: RedriveNudges } {
  const queueUrl = config.CONVEYOR_REDRIVE_QUEUE_URL;
  return {
    tasks: new DynamoRedriveTasks({ client: clients.dynamo, tableName: config.CONVEYOR_TABLE_NAME }),
    nudges: queueUrl
      ? new SqsRedriveNudges({ client: clients.sqs, queueUrl })
      : { send: () => Promise.reject(new ConfigurationError('CONVEYOR_REDRIVE_QUEUE_URL is not set: this stage has no redrive consumer')) },
  };
}
