import { Duration, Validations } from 'aws-cdk-lib';
import { ComparisonOperator } from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy } from 'cdk-monitoring-constructs';
import { Construct } from 'constructs';
import type { StageSettings } from '../config/stages.js';
import type { JobApi } from './JobApi.js';
import type { JobScheduling } from './JobScheduling.js';
import type { JobWorker } from './JobWorker.js';
import type { WebhookDelivery } from './WebhookDelivery.js';

/**
 * Alarms and the stage's dashboard, through cdk-monitoring-constructs' facade: each `monitorX`
 * adds a dashboard segment and its alarms and returns `this`. Alarm names are
 * `Conveyor-<stage>-<resource>-<metric>-<Warning|Critical>`; every alarm notifies one SNS topic.
 */
export class ConveyorMonitoring extends Construct {
  readonly topic: Topic;
  readonly facade: MonitoringFacade;
  readonly dashboardName: string;
  readonly #settings: StageSettings;

  constructor(scope: Construct, id: string, props: { readonly settings: StageSettings }) {
    super(scope, id);
    const { settings } = props;
    this.#settings = settings;
    this.dashboardName = `Conveyor-${settings.stage}`;

    this.topic = new Topic(this, 'AlarmTopic', { topicName: `conveyor-${settings.stage}-alarms`, displayName: `Conveyor ${settings.stage} alarms`, enforceSSL: true });
    if (settings.alarms.email) this.topic.addSubscription(new EmailSubscription(settings.alarms.email));
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry alarm names and metric values, no job data. CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key per stage costs more than it protects here.',
    });

    this.facade = new MonitoringFacade(this, 'Facade', {
      alarmFactoryDefaults: {
        alarmNamePrefix: `Conveyor-${settings.stage}`,
        actionsEnabled: true,
        action: new SnsAlarmActionStrategy({ onAlarmTopic: this.topic, onOkTopic: this.topic }),
        datapointsToAlarm: 1,
      },
      metricFactoryDefaults: {},
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: this.dashboardName,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    this.facade.addLargeHeader(`Conveyor — ${settings.stage}`);
  }

  /**
   * One job type: queue throughput and age, DLQ depth, consumer duration (p50/p90/p99), errors and
   * throttles. The DLQ alarms on its first message: a job there has used every attempt.
   */
  monitorJob(worker: JobWorker): this {
    const type = worker.definition.type;
    this.facade.addMediumHeader(`Job type: ${type}`);
    this.#queueWithDlq(worker.queue, worker.dlq, `${type}-queue`, `${type} queue`);
    // The other priority lanes share the type's DLQ (alarmed once, above) and get the same age alarms:
    // a starved lane shows as its oldest message ageing.
    for (const lane of worker.lanes.filter((l) => l.queue !== worker.queue)) {
      this.facade.monitorSqsQueue({
        queue: lane.queue,
        alarmFriendlyName: `${type}-${lane.priority}-queue`,
        humanReadableName: `${type} queue (${lane.priority} priority)`,
        addQueueMaxMessageAgeAlarm: this.#queueAgeAlarms(),
      });
    }
    this.#consumer(worker.consumer.fn, `${type}-consumer`, `${type} consumer`);
    return this;
  }

  /**
   * Completion webhooks: the delivery queue's age, its DLQ's first message (a callback that failed
   * every attempt, up to ~10.6 min of retries — shared/domain/retry.ts) and the consumer's errors and throttles.
   */
  monitorWebhooks(webhooks: WebhookDelivery): this {
    this.facade.addMediumHeader('Completion webhooks');
    this.#queueWithDlq(webhooks.queue, webhooks.dlq, 'webhooks-queue', 'webhook queue');
    this.#consumer(webhooks.consumer.fn, 'webhooks-consumer', 'webhook consumer');
    return this;
  }

  /**
   * Delayed and recurring jobs: the scheduler target's errors and throttles, and the invocations
   * EventBridge Scheduler dropped after its 24 h of retries — a held job never released or a
   * recurring run that never happened, so its first occurrence is Critical.
   */
  monitorScheduling(scheduling: JobScheduling): this {
    this.facade.addMediumHeader('Delayed and recurring jobs');
    this.#consumer(scheduling.target.fn, 'scheduler-target', 'scheduler target');
    this.facade
      .monitorCustom({
        alarmFriendlyName: 'scheduler',
        humanReadableName: `EventBridge Scheduler group ${scheduling.groupName}`,
        metricGroups: [
          {
            title: 'Scheduled invocations',
            metrics: [
              {
                metric: scheduling.metricDropped(),
                alarmFriendlyName: 'Dropped',
                addAlarm: { Critical: { threshold: 0, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD } },
              },
              scheduling.metricTargetErrors(),
            ],
          },
        ],
      });
    return this;
  }

  /** A queue and its DLQ: throughput, age (Warning/Critical) and the DLQ's first message (Critical). */
  #queueWithDlq(queue: IQueue, deadLetterQueue: IQueue, alarmFriendlyName: string, humanReadableName: string): void {
    this.facade.monitorSqsQueueWithDlq({
      queue,
      deadLetterQueue,
      alarmFriendlyName,
      humanReadableName,
      addDeadLetterQueueMaxSizeAlarm: { Critical: { maxMessageCount: 0 } },
      addQueueMaxMessageAgeAlarm: this.#queueAgeAlarms(),
    });
  }

  /** A function that consumes a queue or an event: invocations, duration, errors and throttles. */
  #consumer(lambdaFunction: IFunction, alarmFriendlyName: string, humanReadableName: string): void {
    const { alarms } = this.#settings;
    this.facade.monitorLambdaFunction({
      lambdaFunction,
      alarmFriendlyName,
      humanReadableName,
      // Invocation errors, not job failures: a consumer reports failed records and returns normally,
      // so an error here is a crash or timeout of the whole batch.
      addFaultCountAlarm: { Critical: { maxErrorCount: alarms.consumerErrors } },
      // Throttled batches go back to the queue and burn receive counts toward the DLQ (DESIGN.md).
      addThrottlesCountAlarm: { Warning: { maxErrorCount: alarms.consumerThrottles } },
    });
  }

  #queueAgeAlarms() {
    const { queueAgeSeconds } = this.#settings.alarms;
    return { Warning: { maxAgeInSeconds: queueAgeSeconds.warning }, Critical: { maxAgeInSeconds: queueAgeSeconds.critical } };
  }

  /** API health: requests, 4xx/5xx, latency; the API and authorizer functions behind it. */
  monitorApi(api: JobApi): this {
    const { alarms } = this.#settings;
    this.facade
      .addMediumHeader('HTTP API')
      .monitorApiGatewayV2HttpApi({
        api: api.httpApi,
        apiStage: '$default',
        alarmFriendlyName: 'api',
        humanReadableName: 'HTTP API',
        add5xxCountAlarm: { Critical: { maxErrorCount: alarms.api5xxPerFiveMinutes } },
        addLatencyP99Alarm: { Warning: { maxLatency: Duration.millis(alarms.apiLatencyP99Ms) } },
      })
      .monitorLambdaFunction({ lambdaFunction: api.api.fn, alarmFriendlyName: 'api-function', humanReadableName: 'API function' })
      .monitorLambdaFunction({
        lambdaFunction: api.authorizer.fn,
        alarmFriendlyName: 'authorizer',
        humanReadableName: 'API key authorizer',
        addFaultCountAlarm: { Critical: { maxErrorCount: alarms.api5xxPerFiveMinutes } },
      });
    return this;
  }

  /** The job table: consumed capacity, throttles and errors (on-demand still throttles at partition limits). */
  monitorTable(table: ITable): this {
    this.facade.addMediumHeader('Job table').monitorDynamoTable({ table, alarmFriendlyName: 'table', humanReadableName: 'Job table' });
    return this;
  }
}
