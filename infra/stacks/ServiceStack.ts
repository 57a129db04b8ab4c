import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { stageResourceNames } from '../../shared/jobs/derived.js';
import type { StageSettings } from '../config/stages.js';
import { documentBucketName } from '../constructs/BlobBucket.js';
import { capabilityEnvironment, grantBlobDownloads, type CapabilityResources } from '../constructs/capabilities.js';
import { ConveyorMonitoring } from '../constructs/ConveyorMonitoring.js';
import { commonEnvironment, queueUrlsEnvironment } from '../constructs/environment.js';
import { JobApi } from '../constructs/JobApi.js';
import { JobWorker } from '../constructs/JobWorker.js';

export interface ServiceStackProps extends StackProps {
  readonly settings: StageSettings;
  /** The job registry's definitions: one JobWorker each. */
  readonly jobs: readonly JobDefinition[];
  /** Entry file per job type under `functions/entry/`; default `worker-<type>`. */
  readonly workerEntry?: (type: string) => string;
}

/**
 * The stateless half of a stage: one JobWorker per registered job type, the HTTP API and the
 * monitoring. Built from the registry alone — a new job type in `shared/jobs/registry.ts` (with its
 * `functions/entry/worker-<type>.ts`) gets its queue, DLQ, consumer, alarms and dashboard row here
 * with no edit to this file.
 */
export class ServiceStack extends Stack {
  readonly workers: Readonly<Record<string, JobWorker>>;
  readonly api: JobApi;
  readonly monitoring: ConveyorMonitoring;
  readonly resources: CapabilityResources;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const { settings } = props;
    // The data stack's resources by their derived names: no CloudFormation exports to pin them.
    const table = Table.fromTableName(this, 'JobTable', stageResourceNames(settings.stage).table);
    const bucket = Bucket.fromBucketName(this, 'DocumentBucket', documentBucketName(this, settings.stage));
    const environment = commonEnvironment(settings, table);
    this.resources = { settings, bucket };

    const workers: Record<string, JobWorker> = {};
    for (const definition of props.jobs) {
      workers[definition.type] = new JobWorker(this, `Worker-${definition.type}`, {
        settings,
        definition,
        table,
        environment,
        resources: this.resources,
        ...(props.workerEntry ? { entry: props.workerEntry(definition.type) } : {}),
      });
    }
    this.workers = workers;

    // The Upstash Redis credentials (rate limits) stay in Secrets Manager: the function gets the
    // secret's name and permission to read it, never the token itself in its environment.
    const upstash = Secret.fromSecretNameV2(this, 'UpstashSecret', settings.upstashSecretName);

    this.api = new JobApi(this, 'Api', {
      settings,
      table,
      queues: workers,
      environment,
      apiEnvironment: {
        ...queueUrlsEnvironment(this, Object.fromEntries(Object.entries(workers).map(([type, worker]) => [type, worker.queue]))),
        CONVEYOR_UPSTASH_SECRET: upstash.secretName,
        // The API signs download URLs of finished documents (bucket name only; see grantBlobDownloads).
        ...capabilityEnvironment(['blobs'], this.resources),
      },
    });
    grantBlobDownloads(this.resources, this.api.api);
    upstash.grantRead(this.api.api.role);

    this.monitoring = new ConveyorMonitoring(this, 'Monitoring', { settings });
    this.monitoring.monitorApi(this.api);
    for (const worker of Object.values(workers)) this.monitoring.monitorJob(worker);
    this.monitoring.monitorTable(table);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the job API' });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://${this.region}.console.aws.amazon.com/cloudwatch/home?region=${this.region}#dashboards/dashboard/${this.monitoring.dashboardName}`,
      description: 'CloudWatch dashboard of this stage',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.monitoring.topic.topicArn, description: 'SNS topic every alarm notifies' });
    for (const [type, worker] of Object.entries(workers)) {
      new CfnOutput(this, `DlqUrl-${type}`, { value: worker.dlq.queueUrl, description: `Dead-letter queue of "${type}" jobs` });
    }
  }
}
