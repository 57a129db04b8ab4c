import { Tags, Validations, type App, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { JobDefinition } from '../shared/jobs/define.js';
import { recurringJobs, requestFor, type RecurringJobDefinition } from '../shared/jobs/recurring.js';
import { jobDefinitions } from '../shared/jobs/registry.js';
import { checkDeployable, isPlaceholderDomain, type StageSettings } from './config/stages.js';
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
  /** Recurring jobs a stage may opt into; `shared/jobs/recurring.ts` by default. */
  readonly recurring?: readonly RecurringJobDefinition[];
}

/**
 * One stage of Conveyor: `Conveyor-<stage>-Data` (table, bucket, SES identity) and
 * `Conveyor-<stage>-Service` (queues, consumers, API, monitoring), checked by cdk-nag's AwsSolutions
 * rules. `infra/app.ts` and the CDK tests both build through here, so the tests check what deploys.
 */
export function addConveyorStage(app: App, options: ConveyorAppOptions): ConveyorStacks {
  const { settings } = options;
  const recurring = options.recurring ?? recurringJobs;
  checkDeployable(settings, recurring.map((job) => ({ name: job.name, placeholderRecipients: recipientsOf(job).filter((to) => isPlaceholderDomain(to.split('@').pop()!)) })));
  const prefix = `Conveyor-${settings.stage}`;
  const env = options.env ? { env: options.env } : {};
  const jobs = options.jobs ?? jobDefinitions;
  const data = new DataStack(app, `${prefix}-Data`, { ...env, settings, jobs, description: `Conveyor ${settings.stage}: job table, document and job-data buckets, SES identity` });
  const service = new ServiceStack(app, `${prefix}-Service`, {
    ...env,
    terminationProtection: settings.terminationProtection,
    settings,
    jobs,
    // Only the recurring jobs this stage opted into (-c recurring=<name,…>): an example must not mail anyone by default.
    recurring: recurring.filter((job) => settings.recurring.includes(job.name)),
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

/** The addresses a recurring job's e-mail would go to (a sample occurrence; none for other job types). */
function recipientsOf(job: RecurringJobDefinition): string[] {
  const request = requestFor(job, new Date(0));
  if (request.type !== 'email') return [];
  const { to, cc, bcc } = request.payload as { to?: readonly string[]; cc?: readonly string[]; bcc?: readonly string[] };
  return [...(to ?? []), ...(cc ?? []), ...(bcc ?? [])];
}
