import { Tags, Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { JobDefinition } from '../shared/jobs/define.js';
import { jobDefinitions } from '../shared/jobs/registry.js';
import type { StageSettings } from './config/stages.js';
import { DataStack } from './stacks/DataStack.js';
import { ServiceStack } from './stacks/ServiceStack.js';

export interface ConveyorStacks {
  readonly data: DataStack;
  readonly service: ServiceStack;
}

export interface ConveyorAppOptions {
  readonly settings: StageSettings;
  /** Account and region; absent = environment-agnostic (synthesises offline). */
  readonly env?: Environment;
  /** The job registry by default; tests inject extra definitions. */
  readonly jobs?: readonly JobDefinition[];
  readonly workerEntry?: (type: string) => string;
}

/**
 * One stage of Conveyor: `Conveyor-<stage>-Data` (table, bucket, SES identity) and
 * `Conveyor-<stage>-Service` (queues, consumers, API, monitoring), checked by cdk-nag's AwsSolutions
 * rules. `infra/app.ts` and the CDK tests both build through here, so the tests check what deploys.
 */
export function addConveyorStage(app: App, options: ConveyorAppOptions): ConveyorStacks {
  const { settings } = options;
  const prefix = `Conveyor-${settings.stage}`;
  const env = options.env ? { env: options.env } : {};
  const data = new DataStack(app, `${prefix}-Data`, { ...env, settings, description: `Conveyor ${settings.stage}: job table, document bucket, SES identity` });
  const service = new ServiceStack(app, `${prefix}-Service`, {
    ...env,
    settings,
    jobs: options.jobs ?? jobDefinitions,
    description: `Conveyor ${settings.stage}: job queues, consumers, HTTP API, alarms and dashboard`,
    ...(options.workerEntry ? { workerEntry: options.workerEntry } : {}),
  });
  // The service stack finds the data stack's table and bucket by name: deploy data first.
  service.addStackDependency(data);
  for (const stack of [data, service]) {
    Tags.of(stack).add('app', 'conveyor');
    Tags.of(stack).add('stage', settings.stage);
  }
  // cdk-nag 3 is a policy-validation plugin: an unacknowledged error fails the synthesis itself.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { data, service };
}
