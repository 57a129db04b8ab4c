import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { stageResourceNames } from '../../shared/jobs/derived.js';
import { providerLimits, type ProviderLimit } from '../../shared/jobs/rate-limits.js';
import { recurringJobs, type RecurringJobDefinition } from '../../shared/jobs/recurring.js';
import type { StageSettings } from '../config/stages.js';
import { documentBucketName } from '../constructs/BlobBucket.js';
import { grantJobDataToApi, jobDataBucketName } from '../constructs/JobDataBucket.js';
import { capabilityEnvironment, grantBlobDownloads, grantCapabilities, type CapabilityResources } from '../constructs/capabilities.js';
import { ConveyorMonitoring } from '../constructs/ConveyorMonitoring.js';
import { EmailSending } from '../constructs/EmailSending.js';
import { commonEnvironment, queueUrlsEnvironment } from '../constructs/environment.js';
import { JobApi } from '../constructs/JobApi.js';
import { JobScheduling } from '../constructs/JobScheduling.js';
import { JobWorker } from '../constructs/JobWorker.js';
import { RecoverySweep } from '../constructs/RecoverySweep.js';
import { RedriveConsumer } from '../constructs/RedriveConsumer.js';
import { UpstashSecret } from '../constructs/upstash.js';
import { WebhookDelivery } from '../constructs/WebhookDelivery.js';

export interface ServiceStackProps extends StackProps {
  readonly settings: StageSettings;
  /** The job registry's definitions: one JobWorker each. */
  readonly jobs: readonly JobDefinition[];
  /** Entry per job type (a name under `functions/entry/` or an absolute path); default generated from the registry. */
  readonly workerEntry?: (type: string) => string;
  /** Recurring (cron) jobs; `shared/jobs/recurring.ts` by default. */
  readonly recurring?: readonly RecurringJobDefinition[];
}

/**
 * The stateless half of a stage: one JobWorker per registered job type (a lane per priority for a
 * prioritized type), the HTTP API, delayed and recurring jobs (EventBridge Scheduler), completion
 * webhooks and the monitoring. Built from the registries alone — a new job type in
 * `shared/jobs/registry.ts` (and its handler module in the handler map) gets its queues, DLQ,
 * consumer, alarms and dashboard row here with no edit to this file.
 */
export class ServiceStack extends Stack {
  readonly workers: Readonly<Record<string, JobWorker>>;
  readonly api: JobApi;
  readonly scheduling: JobScheduling;
  readonly webhooks: WebhookDelivery;
  readonly sweep: RecoverySweep;
  readonly redrive: RedriveConsumer;
  /** Absent when the stage has no Upstash secret (rate limits off). */
  readonly upstash: UpstashSecret | undefined;
  readonly monitoring: ConveyorMonitoring;
  readonly resources: CapabilityResources;
  /** The SES configuration set every e-mail names (bounce and complaint metrics). */
  readonly email: EmailSending;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // The data stack's resources by their derived names: no CloudFormation exports to pin them.
    const table = Table.fromTableName(this, 'JobTable', stageResourceNames(settings.stage).table);
    const bucket = Bucket.fromBucketName(this, 'DocumentBucket', documentBucketName(this, settings.stage));
    const jobData = Bucket.fromBucketName(this, 'JobDataBucket', jobDataBucketName(this, settings.stage));
    const environment = commonEnvironment(settings, table);
    this.email = new EmailSending(this, 'Email', { settings });
    this.resources = { settings, bucket, jobData, email: this.email };

    const workers: Record<string, JobWorker> = {};
    for (const definition of props.jobs) {
      workers[definition.type] = new JobWorker(this, `Worker-${definition.type}`, {
        settings,
        definition,
        table,
        environment,
        resources: this.resources,
        ...(props.workerEntry ? { entry: props.workerEntry(definition.type) } : {}),
        // AI analysis: the analysis consumer bundles the model's port (granted below).
        ...(settings.ai.analysis && definition.type === 'analysis' ? { optionalUses: ['model'] as const } : {}),
      });
    }
    this.workers = workers;
    // A consumer that enqueues other types (a notification's e-mail) may send to those queues only.
    for (const worker of Object.values(workers)) {
      for (const type of worker.definition.settings.enqueues) {
        const target = workers[type];
        if (!target) throw new Error(`job type "${worker.definition.type}" enqueues "${type}", which is not a registered job type`);
        worker.allowEnqueue(target);
      }
    }
    // Any job may be a flow's child and any type its parent: each consumer sends the parent its child
    // was the last to end, to that parent's queue (functions/follow-ups/).
    for (const worker of Object.values(workers)) worker.allowSendParents(Object.values(workers));
    // AI analysis (-c aiAnalysis=on): the analysis consumer calls the stage's model too; off, only
    // the types that declare `uses: ['model']` (ai) may invoke it.
    if (settings.ai.analysis && workers.analysis) {
      grantCapabilities(['model'], this.resources, workers.analysis.consumer, { environment: true });
      workers.analysis.consumer.fn.addEnvironment('CONVEYOR_AI_ANALYSIS', 'on');
    }
    // Every job queue by CONVEYOR_QUEUE_URLS key (`analysis`, `analysis:high`, …): where enqueues go.
    const jobQueues = Object.assign({}, ...Object.values(workers).map((worker) => worker.queuesByKey)) as Record<string, JobWorker['queue']>;
    const jobQueueUrls = queueUrlsEnvironment(this, jobQueues);

    this.webhooks = new WebhookDelivery(this, 'Webhooks', { settings, environment, table });
    this.scheduling = new JobScheduling(this, 'Scheduling', {
      settings,
      table,
      queues: jobQueues,
      environment: { ...environment, ...jobQueueUrls },
      recurring: props.recurring ?? recurringJobs,
    });
    // The Upstash Redis credentials (rate limits) stay in Secrets Manager: each function that
    // rate-limits gets the secret's name and permission to read that secret, never the token.
    // Without a secret name Upstash is not configured: no variable, no grant, limits off.
    this.upstash = settings.upstashSecretName ? new UpstashSecret(this, settings.upstashSecretName) : undefined;

    this.api = new JobApi(this, 'Api', {
      settings,
      table,
      queues: workers,
      environment,
      apiEnvironment: {
        ...jobQueueUrls,
        // runAt more than 15 minutes ahead: a one-time schedule in the group, invoking the target.
        ...this.scheduling.apiEnvironment,
        // The API signs download URLs of finished documents (bucket name only; see grantBlobDownloads).
        ...capabilityEnvironment(['blobs'], this.resources),
        // Payloads over the inline limit go to S3; stored payloads and results get presigned URLs.
        CONVEYOR_JOB_DATA_BUCKET: jobData.bucketName,
      },
    });
    grantBlobDownloads(this.resources, this.api.api);
    grantJobDataToApi(jobData, this.api.api);
    this.scheduling.grantCreateSchedules(this.api.api);
    // Cancelling a queued job is a terminal transition: its webhook is queued by the API.
    this.webhooks.connect(this.api.api);
    this.webhooks.grantOperations(this.api.api);
    // Per-tenant enqueue limits.
    this.upstash?.connect(this.api.api);

    for (const worker of Object.values(workers)) {
      this.webhooks.connect(worker.consumer);
      // A consumer behind a provider's limit (e.g. SES sends per second) shares that budget through
      // Upstash, and re-sends a job over the limit to its own lane with a delay.
      // Without Upstash the limit is off, so it neither reads a secret nor re-sends.
      if (this.upstash && (providerLimits as Readonly<Record<string, ProviderLimit | undefined>>)[worker.definition.type]) {
        this.upstash.connect(worker.consumer);
        worker.grantRequeue();
      } else if (this.upstash && worker.definition.settings.uses.includes('model')) {
        // Model consumers limit chat replies per tenant through the same Upstash database.
        this.upstash.connect(worker.consumer);
      }
    }

    // The recovery sweep: sends jobs whose sender died, flushes webhooks nobody flushed, releases held
    // jobs no release sent (its own construct: grants, schedule rule, alarms).
    this.sweep = new RecoverySweep(this, 'Recovery', { settings, table, queues: jobQueues, environment: { ...environment, ...jobQueueUrls }, scheduling: this.scheduling });
    this.webhooks.connect(this.sweep.fn);

    // Redrive tasks: the API records one and sends its first nudge; this consumer carries it out.
    this.redrive = new RedriveConsumer(this, 'Redrive', { settings, table, queues: workers, environment: { ...environment, ...jobQueueUrls } });
    this.redrive.connect(this.api.api);
    // Putting a dead job back first queues the webhook it still owes.
    this.webhooks.connect(this.redrive.fn);

    // The dashboard leads with what became of the jobs, then how each type's queues and consumer are doing.
    this.monitoring = new ConveyorMonitoring(this, 'Monitoring', { settings });
    this.monitoring.monitorJobOutcomes(Object.values(workers));
    for (const worker of Object.values(workers)) this.monitoring.monitorJob(worker);
    this.monitoring.monitorApi(this.api).monitorWebhooks(this.webhooks).monitorScheduling(this.scheduling).monitorTable(table).monitorEmail(this.email).monitorAccount();
    this.sweep.monitor(new SnsAction(this.monitoring.topic));
    this.redrive.monitor(new SnsAction(this.monitoring.topic));

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the job API' });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboardName}`,
      description: 'CloudWatch dashboard of this stage',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'SNS topic every Critical alarm notifies' });
    new CfnOutput(this, 'WarningTopicArn', { value: this.monitoring.warningTopic.topicArn, description: 'SNS topic every Warning alarm notifies' });
    for (const [type, worker] of Object.entries(workers)) {
      new CfnOutput(this, `DlqUrl-${type}`, { value: worker.dlq.queueUrl, description: `Dead-letter queue of "${type}" jobs` });
    }
    new CfnOutput(this, 'RedriveDlqUrl', { value: this.redrive.dlq.queueUrl, description: 'Dead-letter queue of redrive nudges that failed every delivery (their task has stalled)' });
    new CfnOutput(this, 'WebhookDlqUrl', { value: this.webhooks.dlq.queueUrl, description: 'Dead-letter queue of completion webhooks that failed every attempt' });
    new CfnOutput(this, 'WebhookSigningSecretArn', { value: this.webhooks.secret.secretArn, description: 'Secrets Manager secret holding the webhook signing key (give it to receivers)' });
    new CfnOutput(this, 'ScheduleGroup', { value: this.scheduling.groupName, description: 'EventBridge Scheduler group of delayed-job releases and recurring jobs' });
  }
}
