import type { Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { StageSettings } from '../config/stages.js';

/**
 * The environment of every Conveyor function, one line per variable. Names are those that
 * `shared/config/env.ts` parses; a new variable for all functions is one more line here, a new one
 * for the consumers of a capability (e-mail, blobs) one line in `capabilities.ts`.
 */
export function commonEnvironment(settings: StageSettings, table: ITable): Record<string, string> {
  return {
    CONVEYOR_STAGE: settings.stage,
    CONVEYOR_TABLE_NAME: table.tableName,
    LOG_LEVEL: settings.logLevel,
    CONVEYOR_LOG_DEBUG_SAMPLE_RATE: String(settings.logDebugSampleRate),
    CONVEYOR_TRACING: settings.tracing ? 'on' : 'off',
    // Stack traces point at the TypeScript sources through the bundled source maps.
    NODE_OPTIONS: '--enable-source-maps',
  };
}

/** `CONVEYOR_QUEUE_URLS`: the JSON map job type → queue URL, resolved by CloudFormation at deploy. */
export function queueUrlsEnvironment(scope: Stack, queues: Readonly<Record<string, IQueue>>): Record<string, string> {
  const urls = Object.fromEntries(Object.entries(queues).map(([type, queue]) => [type, queue.queueUrl]));
  return { CONVEYOR_QUEUE_URLS: scope.toJsonString(urls) };
}
