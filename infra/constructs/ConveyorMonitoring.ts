import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { ComparisonOperator, MathExpression, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { BillingMode, type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefaultDashboardFactory, MonitoringFacade, SnsAlarmActionStrategy, type CustomMetricGroup, type CustomThreshold, type MaxMessageAgeThreshold } from 'cdk-monitoring-constructs';
import { WEBHOOK_RETRY, webhookRetryWindowSeconds } from '../../shared/domain/retry.js';
import { Construct } from 'constructs';
import { JOB_METRIC_NAMES, JOB_METRICS_NAMESPACE } from '../../shared/ports/job-metrics.js';
import type { StageSettings } from '../config/stages.js';
import type { EmailSending } from './EmailSending.js';
import type { JobApi } from './JobApi.js';
import type { JobScheduling } from './JobScheduling.js';
import type { JobWorker } from './JobWorker.js';
import type { WebhookDelivery } from './WebhookDelivery.js';

/**
 * Alarms and the stage's dashboard, through cdk-monitoring-constructs' facade: each `monitorX`
 * adds a dashboard segment and its alarms and returns `this`. Alarm names are
 * `Conveyor-<stage>-<resource>-<metric>-<Warning|Critical>`. Critical alarms page: they notify the
 * alarm topic (`conveyor-<stage>-alarms`, or the topic of `-c alarmTopicArn`); Warnings notify the
 * stage's warnings topic (`conveyor-<stage>-warnings`), which the alarm e-mail is subscribed to as well.
 *
 * The dashboard leads with job outcomes per type (`monitorJobOutcomes`), then each type's queues and
 * consumer, then the API, webhooks, scheduling, the table, e-mail and the account.
 */
export class ConveyorMonitoring extends Construct {
  /** Where every Critical alarm goes: the stage's topic, or the existing one named by `-c alarmTopicArn`. */
  readonly topic: ITopic;
  /** Where Warning alarms go. */
  readonly warningTopic: Topic;
  readonly facade: MonitoringFacade;
  readonly dashboardName: string;
  readonly #settings: StageSettings;
  readonly #warning: SnsAlarmActionStrategy;

  constructor(scope: Construct, id: string, props: { readonly settings: StageSettings }) {
    super(scope, id);
    const { settings } = props;
    this.#settings = settings;
    this.dashboardName = `Conveyor-${settings.stage}`;

    this.topic = this.#alarmTopic(settings);
    this.warningTopic = this.#ownTopic('WarningTopic', `conveyor-${settings.stage}-warnings`, `Conveyor ${settings.stage} warnings`);
    this.#warning = new SnsAlarmActionStrategy({ onAlarmTopic: this.warningTopic, onOkTopic: this.warningTopic });

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
   * The alarm topic. With `enforceSSL` the topic gets a TopicPolicy, which replaces SNS's default
   * policy: unless it also lets CloudWatch publish, no alarm notification is ever delivered.
   */
  #alarmTopic(settings: StageSettings): ITopic {
    const { subscription } = settings.alarms;
    // An existing topic (-c alarmTopicArn): its owner already lets CloudWatch publish and has subscribers.
    if (subscription?.kind === 'topic') return Topic.fromTopicArn(this, 'AlarmTopic', subscription.topicArn);
    return this.#ownTopic('AlarmTopic', `conveyor-${settings.stage}-alarms`, `Conveyor ${settings.stage} alarms`);
  }

  /**
   * A topic of the stage's: TLS only, CloudWatch alarms of this account may publish (confused-deputy
   * guard: aws:SourceAccount), and the alarm e-mail subscribed when there is one.
   * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html
   * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Notify_Users_Alarm_Changes.html
   */
  #ownTopic(id: string, topicName: string, displayName: string): Topic {
    const { subscription } = this.#settings.alarms;
    const topic = new Topic(this, id, { topicName, displayName, enforceSSL: true });
    topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (subscription?.kind === 'email') topic.addSubscription(new EmailSubscription(subscription.address));
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason: 'Alarm notifications carry alarm names and metric values, no job data. CloudWatch cannot publish to a topic under the AWS-managed SNS key, and a customer key per stage costs more than it protects here.',
    });
    return topic;
  }

  /**
   * The dashboard's lead: per job type, what became of its runs (from the consumers' EMF metrics,
   * shared/ports/job-metrics.ts), and one Critical alarm on the share that ended FAILED or DEAD. A
   * FAILED job is no Lambda error — the consumer reports it and returns normally — so only these
   * metrics see it.
   */
  monitorJobOutcomes(workers: readonly JobWorker[]): this {
    const { alarms, stage } = this.#settings;
    this.facade.addMediumHeader('Job outcomes');
    for (const worker of workers) {
      const type = worker.definition.type;
      const metric = (name: string, statistic = 'Sum') =>
        new Metric({ namespace: JOB_METRICS_NAMESPACE, metricName: name, dimensionsMap: { service: `conveyor-${stage}`, JobType: type }, statistic, period: Duration.minutes(5) });
      const succeeded = metric(JOB_METRIC_NAMES.succeeded);
      const failed = metric(JOB_METRIC_NAMES.failed);
      const dead = metric(JOB_METRIC_NAMES.dead);
      // Share of finished runs that failed: 100 × (FAILED + DEAD) / (SUCCEEDED + FAILED + DEAD); a
      // period with no finished run has no value (missing data does not breach).
      const failureRate = new MathExpression({
        expression: '100 * (FILL(failed, 0) + FILL(dead, 0)) / (FILL(succeeded, 0) + FILL(failed, 0) + FILL(dead, 0))',
        usingMetrics: { succeeded, failed, dead },
        label: 'FAILED + DEAD (% of finished)',
        period: Duration.minutes(5),
      });
      const groups: CustomMetricGroup[] = [
        { title: `${type}: outcomes`, metrics: [succeeded.with({ label: 'SUCCEEDED' }), failed.with({ label: 'FAILED' }), dead.with({ label: 'DEAD' }), metric(JOB_METRIC_NAMES.expired).with({ label: 'EXPIRED' }), metric(JOB_METRIC_NAMES.retried).with({ label: 'retries' })] },
        {
          title: `${type}: failure rate`,
          metrics: [{ metric: failureRate, alarmFriendlyName: 'FailureRate', addAlarm: { Critical: this.#above(alarms.jobFailurePercent) } }],
        },
        {
          title: `${type}: run duration and queue wait`,
          metrics: [
            metric(JOB_METRIC_NAMES.runDuration, 'p50').with({ label: 'run p50' }),
            metric(JOB_METRIC_NAMES.runDuration, 'p99').with({ label: 'run p99' }),
            metric(JOB_METRIC_NAMES.queueWait, 'p99').with({ label: 'queue wait p99' }),
          ],
        },
      ];
      this.facade.monitorCustom({ alarmFriendlyName: `${type}-jobs`, humanReadableName: `${type} jobs`, metricGroups: groups });
    }
    return this;
  }

  /**
   * One job type: queue throughput and age, DLQ depth and arrivals, consumer duration (p50/p90/p99),
   * errors and throttles. A message arriving in the DLQ pages: that job used every receive.
   */
  monitorJob(worker: JobWorker): this {
    const type = worker.definition.type;
    this.facade.addMediumHeader(`Job type: ${type}`);
    this.#queueWithDlq(worker.queue, worker.dlq, `${type}-queue`, `${type} queue`, 'Critical');
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
   * Completion webhooks: the delivery queue's age, its DLQ's arrivals (a callback that failed every
   * attempt, over 2¼ hours of retries — shared/domain/retry.ts: the receiver's problem first, so a
   * Warning) and the consumer's errors and throttles.
   */
  monitorWebhooks(webhooks: WebhookDelivery): this {
    this.facade.addMediumHeader('Completion webhooks');
    // A delivery being retried stays in the queue its whole schedule: a message older than that plus
    // one wait is one the consumer is not getting to. Below it, one receiver's outage would alarm.
    const { latest } = webhookRetryWindowSeconds();
    const ageLimit = latest + WEBHOOK_RETRY.backoff.maxSeconds;
    this.#queueWithDlq(webhooks.queue, webhooks.dlq, 'webhooks-queue', 'webhook queue', 'Warning', { Warning: { maxAgeInSeconds: ageLimit, actionOverride: this.#warning } });
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
    this.facade.monitorCustom({
      alarmFriendlyName: 'scheduler',
      humanReadableName: `EventBridge Scheduler group ${scheduling.groupName}`,
      metricGroups: [
        {
          title: 'Scheduled invocations',
          metrics: [{ metric: scheduling.metricDropped(), alarmFriendlyName: 'Dropped', addAlarm: { Critical: this.#above(0) } }, scheduling.metricTargetErrors()],
        },
      ],
    });
    return this;
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
        // A rate (5xx / requests), not a count: a count pages on a busy day and sleeps through a quiet outage.
        add5xxRateAlarm: { Critical: { maxErrorRate: alarms.api5xxPercent / 100 } },
        addLatencyP99Alarm: { Warning: { maxLatency: Duration.millis(alarms.apiLatencyP99Ms), actionOverride: this.#warning } },
      })
      .monitorLambdaFunction({ lambdaFunction: api.api.fn, alarmFriendlyName: 'api-function', humanReadableName: 'API function', isIterator: false })
      .monitorLambdaFunction({
        lambdaFunction: api.authorizer.fn,
        alarmFriendlyName: 'authorizer',
        humanReadableName: 'API key authorizer',
        isIterator: false,
        addFaultCountAlarm: { Critical: { maxErrorCount: alarms.consumerErrors } },
      });
    return this;
  }

  /**
   * The job table (on demand: no provisioned capacity to show): read and write throttles (on-demand
   * tables still throttle at a partition's limits) and DynamoDB's own system errors.
   */
  monitorTable(table: ITable): this {
    this.facade.addMediumHeader('Job table').monitorDynamoTable({
      table,
      billingMode: BillingMode.PAY_PER_REQUEST,
      alarmFriendlyName: 'table',
      humanReadableName: 'Job table',
      addReadThrottledEventsCountAlarm: { Warning: { maxThrottledEventsThreshold: 0, actionOverride: this.#warning } },
      addWriteThrottledEventsCountAlarm: { Warning: { maxThrottledEventsThreshold: 0, actionOverride: this.#warning } },
      addSystemErrorCountAlarm: { Critical: { maxErrorCount: 0 } },
    });
    return this;
  }

  /**
   * E-mail reputation, from the configuration set's events: bounces and complaints as a share of
   * sends over an hour. SES reviews an account whose bounce rate reaches 5 % or complaint rate 0.1 %;
   * these warn well before (2 % and 0.05 %), once there are enough sends to mean something.
   * https://docs.aws.amazon.com/ses/latest/dg/reputationdashboard-cloudwatch-alarm.html
   */
  monitorEmail(email: EmailSending): this {
    const send = email.metric('Send');
    const rate = (event: 'Bounce' | 'Complaint') =>
      new MathExpression({
        // Below 50 sends an hour one bounce is noise, not a reputation problem.
        expression: `IF(FILL(send, 0) >= 50, 100 * FILL(${event.toLowerCase()}, 0) / send, 0)`,
        usingMetrics: { send, [event.toLowerCase()]: email.metric(event) },
        label: `${event} rate (% of sends)`,
        period: Duration.hours(1),
      });
    this.facade.addMediumHeader('E-mail (SES)').monitorCustom({
      alarmFriendlyName: 'email',
      humanReadableName: `SES configuration set ${email.configurationSetName}`,
      metricGroups: [
        { title: 'Sends and deliveries', metrics: [send, email.metric('Delivery'), email.metric('Reject')] },
        {
          title: 'Bounce and complaint rates',
          metrics: [
            { metric: rate('Bounce'), alarmFriendlyName: 'BounceRate', addAlarm: { Warning: { ...this.#above(2), actionOverride: this.#warning } } },
            { metric: rate('Complaint'), alarmFriendlyName: 'ComplaintRate', addAlarm: { Warning: { ...this.#above(0.05), actionOverride: this.#warning } } },
          ],
        },
      ],
    });
    return this;
  }

  /**
   * The account's Lambda concurrency, shared with everything else in the account and region (new
   * accounts may have a quota of 10): the share of the quota that is claimed, and throttles anywhere.
   * A throttled consumer batch goes back to its queue, so this is where "jobs wait" begins.
   * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-concurrency.html#claimed-account-concurrency
   */
  monitorAccount(): this {
    const { alarms } = this.#settings;
    const claimed = new Metric({ namespace: 'AWS/Lambda', metricName: 'ClaimedAccountConcurrency', statistic: 'Maximum', period: Duration.minutes(5) });
    const concurrent = new Metric({ namespace: 'AWS/Lambda', metricName: 'ConcurrentExecutions', statistic: 'Maximum', period: Duration.minutes(5) });
    const throttles = new Metric({ namespace: 'AWS/Lambda', metricName: 'Throttles', statistic: 'Sum', period: Duration.minutes(5) });
    this.facade.addMediumHeader('Account (Lambda concurrency)').monitorCustom({
      alarmFriendlyName: 'account',
      humanReadableName: 'Lambda concurrency of the account and region',
      metricGroups: [
        {
          title: 'Claimed concurrency (% of the quota)',
          metrics: [
            {
              metric: new MathExpression({ expression: '100 * claimed / SERVICE_QUOTA(concurrent)', usingMetrics: { claimed, concurrent }, label: 'claimed (% of quota)', period: Duration.minutes(5) }),
              alarmFriendlyName: 'ClaimedConcurrency',
              addAlarm: { Warning: { ...this.#above(alarms.accountConcurrencyPercent), actionOverride: this.#warning } },
            },
          ],
        },
        { title: 'Throttles (all functions)', metrics: [{ metric: throttles, alarmFriendlyName: 'Throttles', addAlarm: { Warning: { ...this.#above(0), actionOverride: this.#warning } } }] },
      ],
    });
    return this;
  }

  /**
   * A queue and its DLQ: throughput and age (Warning/Critical), the DLQ's depth, and an alarm on each
   * new arrival in the DLQ. Not on `ApproximateNumberOfMessagesVisible > 0`: that stays in alarm
   * while old messages wait (up to 14 days) and hides the next one. Not on `NumberOfMessagesSent`
   * either: SQS does not count a message that the redrive policy moves to the DLQ there.
   * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html
   */
  #queueWithDlq(queue: IQueue, deadLetterQueue: IQueue, alarmFriendlyName: string, humanReadableName: string, severity: 'Warning' | 'Critical', ageAlarms: Record<string, MaxMessageAgeThreshold> = this.#queueAgeAlarms()): void {
    this.facade.monitorSqsQueueWithDlq({
      queue,
      deadLetterQueue,
      alarmFriendlyName,
      humanReadableName,
      addQueueMaxMessageAgeAlarm: ageAlarms,
    });
    const visible = deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: Duration.minutes(1) });
    // The rise of the visible count per minute. An empty DLQ that nothing touches goes inactive and
    // SQS stops publishing its metrics (FILL with 0 is then the truth); one holding messages is
    // active and reports every minute. Redrives lower the count and never alarm.
    const arrivals = new MathExpression({ expression: 'DIFF(FILL(visible, 0))', usingMetrics: { visible }, label: 'new dead letters', period: Duration.minutes(1) });
    const threshold: CustomThreshold = severity === 'Warning' ? { ...this.#above(0), actionOverride: this.#warning } : this.#above(0);
    this.facade.monitorCustom({
      alarmFriendlyName: `${alarmFriendlyName}-dlq`,
      humanReadableName: `${humanReadableName}: dead letters`,
      metricGroups: [{ title: `${humanReadableName}: new dead letters`, metrics: [{ metric: arrivals, alarmFriendlyName: 'Arrivals', addAlarm: { [severity]: threshold } }] }],
    });
  }

  /** A function that consumes a queue or an event: invocations, duration, errors and throttles. */
  #consumer(lambdaFunction: IFunction, alarmFriendlyName: string, humanReadableName: string): void {
    const { alarms } = this.#settings;
    this.facade.monitorLambdaFunction({
      lambdaFunction,
      alarmFriendlyName,
      humanReadableName,
      // SQS and scheduler sources, not streams: no iterator age.
      isIterator: false,
      // Invocation errors, not job failures: a consumer reports failed records and returns normally,
      // so an error here is a crash or timeout of the whole batch.
      addFaultCountAlarm: { Critical: { maxErrorCount: alarms.consumerErrors } },
      // Throttled batches go back to the queue (DESIGN.md).
      addThrottlesCountAlarm: { Warning: { maxErrorCount: alarms.consumerThrottles, actionOverride: this.#warning } },
    });
  }

  #queueAgeAlarms() {
    const { queueAgeSeconds } = this.#settings.alarms;
    return { Warning: { maxAgeInSeconds: queueAgeSeconds.warning, actionOverride: this.#warning }, Critical: { maxAgeInSeconds: queueAgeSeconds.critical } };
  }

  /** Breaches above `threshold`; missing data (nothing happened) does not. */
  #above(threshold: number): CustomThreshold {
    return { threshold, comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD, treatMissingDataOverride: TreatMissingData.NOT_BREACHING };
  }
}
