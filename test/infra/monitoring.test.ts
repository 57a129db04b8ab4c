import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobDefinitions } from '../../shared/jobs/registry.js';
import { webhookRetryWindowSeconds } from '../../shared/domain/retry.js';
import { JOB_METRICS_NAMESPACE, JOB_METRIC_NAMES } from '../../shared/ports/job-metrics.js';
import { onlyResource, synthesizeStage, type SynthesizedStage } from './synth.js';

/**
 * Item 6: failures that no alarm used to see. Job outcomes come from the consumers' embedded-metric-
 * format lines (namespace `Conveyor`, dimensions service + JobType, nothing per job); the DLQ alarms
 * fire on each new arrival; a failing webhook is a warning; the API is judged by its 5xx rate.
 */

let dev: SynthesizedStage;
let prod: SynthesizedStage;

beforeAll(() => {
  dev = synthesizeStage('dev', { bundle: false });
  prod = synthesizeStage('prod', { bundle: false, context: { alarmEmail: 'ops@acme-jobs.io', emailSender: 'jobs@mail.acme-jobs.io' } });
}, 300_000);

afterAll(() => {
  dev?.cleanup();
  prod?.cleanup();
});

interface Alarm {
  readonly id: string;
  readonly name: string;
  readonly threshold: number;
  readonly comparison: string;
  readonly actions: unknown;
  /** The alarm's metric or metric queries, as JSON: what it watches. */
  readonly watches: string;
  readonly expression: string | undefined;
}

function alarmsOf(stage: SynthesizedStage): Alarm[] {
  return Object.entries(stage.service.findResources('AWS::CloudWatch::Alarm')).map(([id, resource]) => {
    const p = (resource as { Properties: Record<string, unknown> }).Properties;
    const metrics = p.Metrics as { Expression?: string; ReturnData?: boolean }[] | undefined;
    return {
      id,
      name: String(p.AlarmName),
      threshold: Number(p.Threshold),
      comparison: String(p.ComparisonOperator),
      actions: p.AlarmActions,
      watches: JSON.stringify(metrics ?? { MetricName: p.MetricName, Namespace: p.Namespace, Dimensions: p.Dimensions }),
      expression: metrics?.find((m) => m.ReturnData !== false && m.Expression)?.Expression,
    };
  });
}

const topicRef = (stage: SynthesizedStage, name: string) => [{ Ref: onlyResource(stage.service, 'AWS::SNS::Topic', { TopicName: name }).logicalId }];

describe('Item 6: job outcomes per type', () => {
  it.each(jobDefinitions.map((d) => [d.type]))('alarms on the FAILED+DEAD rate of "%s" jobs from the EMF metrics, to the paging topic', (type) => {
    // Act
    const alarms = alarmsOf(prod).filter((a) => a.watches.includes(JOB_METRICS_NAMESPACE) && a.watches.includes(`"${type}"`));

    // Assess
    const rate = alarms.filter((a) => a.watches.includes(JOB_METRIC_NAMES.failed) && a.watches.includes(JOB_METRIC_NAMES.dead) && a.watches.includes(JOB_METRIC_NAMES.succeeded));
    expect(rate).toHaveLength(1);
    expect(rate[0]!.watches).toContain('"conveyor-prod"');
    expect(rate[0]!.expression).toMatch(/100/);
    expect(rate[0]!).toMatchObject({ threshold: 5, comparison: 'GreaterThanThreshold', actions: topicRef(prod, 'conveyor-prod-alarms') });
    expect(rate[0]!.name).toMatch(/Critical$/);
    // No per-job dimension: only the service (stage) and the job type.
    expect(rate[0]!.watches).not.toMatch(/jobId|JobId|tenant/);
  });
});

describe('Item 6: the consumers write the metrics the alarms read', () => {
  it('turns on EMF job metrics in every job consumer, and nowhere else', () => {
    // Act
    const functions = Object.values(prod.service.findResources('AWS::Lambda::Function')) as { Properties: { FunctionName: string; Environment: { Variables: Record<string, unknown> } } }[];

    // Assess
    const emitting = functions.filter((f) => f.Properties.Environment.Variables.CONVEYOR_METRICS === 'emf').map((f) => f.Properties.FunctionName).sort();
    expect(emitting).toEqual(jobDefinitions.map((d) => `conveyor-prod-worker-${d.type}`).sort());
  });
});

describe('Item 6: dead-letter queues alarm on new arrivals', () => {
  it('watches the rise of each DLQ’s visible messages, not their count (which stays above 0 for 14 days)', () => {
    for (const name of [...jobDefinitions.map((d) => `conveyor-dev-${d.type}-dlq`), 'conveyor-dev-webhooks-dlq']) {
      // Prepare
      const dlq = onlyResource(dev.service, 'AWS::SQS::Queue', { QueueName: name });
      const ref = JSON.stringify({ 'Fn::GetAtt': [dlq.logicalId, 'QueueName'] });

      // Act
      const onDlq = alarmsOf(dev).filter((a) => a.watches.includes(ref));

      // Assess
      expect(onDlq, name).toHaveLength(1);
      expect(onDlq[0]!.watches).toContain('ApproximateNumberOfMessagesVisible');
      expect(onDlq[0]!.expression, name).toMatch(/DIFF|RATE/);
      expect(onDlq[0]!).toMatchObject({ threshold: 0, comparison: 'GreaterThanThreshold' });
    }
  });

  it('pages for a job DLQ and only warns for the webhook DLQ', () => {
    // Prepare
    const arrivals = alarmsOf(prod).filter((a) => a.watches.includes('ApproximateNumberOfMessagesVisible') && /DIFF|RATE/.test(a.expression ?? ''));

    // Act
    const webhook = arrivals.filter((a) => a.name.includes('webhooks'));
    const jobs = arrivals.filter((a) => !a.name.includes('webhooks'));

    // Assess
    expect(jobs).toHaveLength(jobDefinitions.length);
    for (const alarm of jobs) expect(alarm).toMatchObject({ name: expect.stringMatching(/Critical$/), actions: topicRef(prod, 'conveyor-prod-alarms') });
    expect(webhook).toHaveLength(1);
    expect(webhook[0]).toMatchObject({ name: expect.stringMatching(/Warning$/), actions: topicRef(prod, 'conveyor-prod-warnings') });
  });
});

describe('Completion webhooks: alarms that follow the retry schedule', () => {
  it("warns on the webhook queue's oldest message only past the whole retry schedule: one receiver's outage does not alarm", () => {
    // Act
    const ages = alarmsOf(prod).filter((a) => a.watches.includes('ApproximateAgeOfOldestMessage') && a.name.includes('webhooks-queue'));

    // Assess
    expect(ages).toHaveLength(1);
    expect(ages[0]).toMatchObject({ name: expect.stringMatching(/Warning$/), actions: topicRef(prod, 'conveyor-prod-warnings') });
    expect(ages[0]!.threshold).toBeGreaterThan(webhookRetryWindowSeconds().latest);
  });

  it('shows the webhook queue and its DLQ on the dashboard', () => {
    const dashboards = JSON.stringify(prod.service.findResources('AWS::CloudWatch::Dashboard'));
    const dlq = onlyResource(prod.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-prod-webhooks-dlq' }).logicalId;
    expect(dashboards).toContain('Completion webhooks');
    expect(dashboards).toContain(dlq);
  });
});

describe('Item 6: the rest of the stage', () => {
  it('alarms on the API’s 5xx rate, not its count', () => {
    // Act
    const api = alarmsOf(prod).filter((a) => a.watches.includes('AWS/ApiGateway') && a.watches.includes('"5xx"'));

    // Assess: the average of the 0-or-1 `5xx` metric is the share of requests answered 5xx.
    // https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
    expect(api).toHaveLength(1);
    expect(api[0]!.watches).toContain('"Stat":"Average"');
    expect(api[0]!.threshold).toBe(0.01);
  });

  it('alarms on DynamoDB throttles and system errors, account concurrency, and SES bounce and complaint rates', () => {
    // Act
    const all = alarmsOf(prod);
    const watching = (...parts: string[]) => all.filter((a) => parts.every((part) => a.watches.includes(part)));

    // Assess
    expect(watching('ReadThrottleEvents').length + watching('WriteThrottleEvents').length).toBeGreaterThanOrEqual(2);
    expect(watching('SystemErrors')).toHaveLength(1);
    expect(watching('ClaimedAccountConcurrency')).toHaveLength(1);
    expect(watching('ClaimedAccountConcurrency')[0]!.expression).toContain('SERVICE_QUOTA');
    expect(watching('AWS/SES', '"Bounce"', '"Send"')).toHaveLength(1);
    expect(watching('AWS/SES', '"Complaint"', '"Send"')).toHaveLength(1);
    expect(watching('AWS/SES', 'ses:configuration-set')).toHaveLength(2);
  });

  it('leads the dashboard with job outcomes per type and drops widgets that do not apply', () => {
    // Act
    const body = JSON.stringify(onlyResource(prod.service, 'AWS::CloudWatch::Dashboard').properties.DashboardBody);

    // Assess
    const outcomes = body.indexOf('Job outcomes');
    expect(outcomes).toBeGreaterThan(-1);
    for (const later of ['HTTP API', 'Completion webhooks', 'Job table', ...jobDefinitions.map((d) => `Job type: ${d.type}`)]) expect(body.indexOf(later), later).toBeGreaterThan(outcomes);
    for (const { type } of jobDefinitions) expect(body).toContain(`${type}: outcomes`);
    expect(body).not.toMatch(/Iterator/i);
    // The table is on demand: no provisioned capacity to show.
    expect(body).not.toMatch(/ProvisionedReadCapacityUnits|ProvisionedWriteCapacityUnits/);
  });
});
