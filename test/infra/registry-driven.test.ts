import { App } from 'aws-cdk-lib';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import * as z from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJob } from '../../shared/jobs/define.js';
import { queueSettingsOf } from '../../shared/jobs/derived.js';
import { isPrioritized } from '../../shared/jobs/priority.js';
import { jobDefinitions } from '../../shared/jobs/registry.js';
import { stageSettings } from '../../infra/config/stages.js';
import { addConveyorStage } from '../../infra/conveyor.js';
import { parseConfig } from '../../shared/config/env.js';
import { onlyResource, resolveForDeploy, synthesizeStage, type SynthesizedStage } from './synth.js';

// A job type that is not in the registry: what a job author adds in shared/jobs/.
const thumbnailJob = defineJob({
  type: 'thumbnail',
  description: 'Test-only job type',
  payload: z.object({ imageKey: z.string() }).strict(),
  settings: { timeoutSeconds: 20, batchSize: 20, batchingWindowSeconds: 3, maxConcurrency: 7, maxAttempts: 8 },
});

// A job type with priorities (`priorities: true`; its payload knows nothing of them): it must get all three lanes.
const transcodeJob = defineJob({
  type: 'transcode',
  description: 'Test-only prioritized job type',
  payload: z.object({ videoKey: z.string() }).strict(),
  settings: { timeoutSeconds: 60, batchSize: 1, batchingWindowSeconds: 0, maxConcurrency: 20, maxAttempts: 4, priorities: true },
});

// A payload field named `priority` is just data: without the setting there is one lane.
const ticketJob = defineJob({
  type: 'ticket',
  description: 'Test-only job type with a priority field of its own',
  payload: z.object({ subject: z.string(), priority: z.enum(['p1', 'p2']) }).strict(),
});

// A FIFO job type: a FIFO queue and DLQ, one group's jobs one at a time (shared/jobs/ordering.ts).
const ledgerJob = defineJob({
  type: 'ledger',
  description: 'Test-only FIFO job type',
  payload: z.object({ entry: z.string() }).strict(),
  settings: { ordering: 'fifo', timeoutSeconds: 30, batchSize: 10, maxConcurrency: 4, maxAttempts: 3 },
});

let extended: SynthesizedStage;

beforeAll(() => {
  // The consumer code is not the subject here (no bundling): the test types' generated entries name
  // handler modules that do not exist, which only esbuild would notice.
  extended = synthesizeStage('dev', { bundle: false, jobs: [...jobDefinitions, thumbnailJob, transcodeJob, ticketJob, ledgerJob] });
}, 300_000);

afterAll(() => extended?.cleanup());

describe('CDK: the stacks follow the registry', () => {
  it('adds a queue, DLQ, consumer, event source, alarms and a dashboard row for a new job type', () => {
    // Act
    const queue = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-thumbnail' });
    const dlq = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-thumbnail-dlq' });
    const fn = onlyResource(extended.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-worker-thumbnail' });
    const mapping = onlyResource(extended.service, 'AWS::Lambda::EventSourceMapping', { FunctionName: { Ref: fn.logicalId } });

    // Assess
    expect(queue.properties.VisibilityTimeout).toBe(6 * 20 + 3);
    expect(queue.properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: queueSettingsOf(thumbnailJob).maxReceiveCount });
    expect(fn.properties).toMatchObject({ Timeout: 20 });
    expect(mapping.properties).toMatchObject({ BatchSize: 20, MaximumBatchingWindowInSeconds: 3, ScalingConfig: { MaximumConcurrency: 7 }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    // Every type: queue + DLQ, two more lanes per prioritized type; plus the webhook queue and its DLQ,
    // the redrive queue and its DLQ, and the scheduler's two failure queues.
    const all = [...jobDefinitions, thumbnailJob, transcodeJob, ticketJob, ledgerJob];
    expect(all.filter(isPrioritized).map((d) => d.type)).toEqual(['analysis', 'transcode']);
    expect(extended.service.findResources('AWS::SQS::Queue', { Properties: { QueueName: 'conveyor-dev-ticket-high' } })).toEqual({});
    extended.service.resourceCountIs('AWS::SQS::Queue', 2 * all.length + 2 * all.filter(isPrioritized).length + 2 + 2 + 2);
    const alarmNames = Object.values(extended.service.findResources('AWS::CloudWatch::Alarm')).map((a) => String((a as { Properties: { AlarmName: string } }).Properties.AlarmName));
    expect(alarmNames.filter((name) => name.startsWith('Conveyor-dev-thumbnail-')).sort()).toEqual([
      'Conveyor-dev-thumbnail-consumer-Fault-Count-Critical',
      'Conveyor-dev-thumbnail-consumer-Throttled-Count-Warning',
      'Conveyor-dev-thumbnail-jobs-FailureRate-Critical',
      'Conveyor-dev-thumbnail-queue-Queue-Message-Age-Max-Critical',
      'Conveyor-dev-thumbnail-queue-Queue-Message-Age-Max-Warning',
      'Conveyor-dev-thumbnail-queue-dlq-Arrivals-Critical',
    ]);
    expect(JSON.stringify(onlyResource(extended.service, 'AWS::CloudWatch::Dashboard').properties.DashboardBody)).toContain('Job type: thumbnail');
  });

  it('adds all three lanes of a new prioritized type: same derived settings, one DLQ, one event source each with its share of maxConcurrency', () => {
    // Prepare
    const dlq = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-transcode-dlq' });
    const fn = onlyResource(extended.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-worker-transcode' });
    // 40 % / 40 % / 20 % of maxConcurrency 20, each at least 2 (shared/jobs/priority.ts).
    const lanes = [['conveyor-dev-transcode', 8], ['conveyor-dev-transcode-high', 8], ['conveyor-dev-transcode-low', 4]] as const;

    // Act / Assess
    for (const [name, maxConcurrency] of lanes) {
      const queue = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: name });
      expect(queue.properties.VisibilityTimeout).toBe(6 * 60 + 0);
      expect(queue.properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: 10 * 4 });
      const mapping = onlyResource(extended.service, 'AWS::Lambda::EventSourceMapping', { EventSourceArn: { 'Fn::GetAtt': [queue.logicalId, 'Arn'] } });
      expect(mapping.properties).toMatchObject({ FunctionName: { Ref: fn.logicalId }, BatchSize: 1, ScalingConfig: { MaximumConcurrency: maxConcurrency }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    }
    const alarmNames = Object.values(extended.service.findResources('AWS::CloudWatch::Alarm')).map((a) => String((a as { Properties: { AlarmName: string } }).Properties.AlarmName));
    expect(alarmNames.filter((name) => name.startsWith('Conveyor-dev-transcode-')).sort()).toEqual([
      'Conveyor-dev-transcode-consumer-Fault-Count-Critical',
      'Conveyor-dev-transcode-consumer-Throttled-Count-Warning',
      'Conveyor-dev-transcode-high-queue-Queue-Message-Age-Max-Critical',
      'Conveyor-dev-transcode-high-queue-Queue-Message-Age-Max-Warning',
      'Conveyor-dev-transcode-jobs-FailureRate-Critical',
      'Conveyor-dev-transcode-low-queue-Queue-Message-Age-Max-Critical',
      'Conveyor-dev-transcode-low-queue-Queue-Message-Age-Max-Warning',
      'Conveyor-dev-transcode-queue-Queue-Message-Age-Max-Critical',
      'Conveyor-dev-transcode-queue-Queue-Message-Age-Max-Warning',
      'Conveyor-dev-transcode-queue-dlq-Arrivals-Critical',
    ]);
  });

  it('gives a FIFO type a FIFO queue and a FIFO DLQ, deduplicated and throttled per message group, and an event source with no batching window', () => {
    // Act
    const queue = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-ledger.fifo' });
    const dlq = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-ledger-dlq.fifo' });
    const mapping = onlyResource(extended.service, 'AWS::Lambda::EventSourceMapping', { EventSourceArn: { 'Fn::GetAtt': [queue.logicalId, 'Arn'] } });

    // Assess: high-throughput FIFO (per-group quota, per-group deduplication); a FIFO queue's DLQ must be FIFO
    expect(queue.properties).toMatchObject({ FifoQueue: true, DeduplicationScope: 'messageGroup', FifoThroughputLimit: 'perMessageGroupId', ContentBasedDeduplication: false });
    expect(queue.properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': [dlq.logicalId, 'Arn'] }, maxReceiveCount: queueSettingsOf(ledgerJob).maxReceiveCount });
    expect(dlq.properties).toMatchObject({ FifoQueue: true });
    expect(mapping.properties).toMatchObject({ BatchSize: 10, ScalingConfig: { MaximumConcurrency: 4 }, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    expect(mapping.properties.MaximumBatchingWindowInSeconds ?? 0).toBe(0);
    // Only the FIFO type's queues are FIFO
    const fifoQueues = Object.values(extended.service.findResources('AWS::SQS::Queue', { Properties: { FifoQueue: true } })).map((q) => (q as { Properties: { QueueName: string } }).Properties.QueueName);
    expect(fifoQueues.sort()).toEqual(['conveyor-dev-ledger-dlq.fifo', 'conveyor-dev-ledger.fifo']);
  });

  it('lets the API enqueue to the new queue', () => {
    // Prepare
    const queue = onlyResource(extended.service, 'AWS::SQS::Queue', { QueueName: 'conveyor-dev-thumbnail' });
    const api = onlyResource(extended.service, 'AWS::Lambda::Function', { FunctionName: 'conveyor-dev-api' });

    // Assess
    const environment = resolveForDeploy((api.properties.Environment as { Variables: unknown }).Variables, extended.service) as Record<string, string>;
    expect(Object.keys(parseConfig(environment).CONVEYOR_QUEUE_URLS)).toEqual(expect.arrayContaining(['thumbnail', 'transcode', 'transcode:high', 'transcode:low']));
    const roleId = (api.properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = Object.values(extended.service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } })).flatMap(
      (p) => (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties.PolicyDocument.Statement,
    );
    const send = statements.find((s) => [s.Action].flat().includes('sqs:SendMessage'));
    expect(send?.Resource).toContainEqual({ 'Fn::GetAtt': [queue.logicalId, 'Arn'] });
    const all = [...jobDefinitions, thumbnailJob, transcodeJob, ticketJob, ledgerJob];
    expect(send?.Resource).toHaveLength(all.length + 2 * all.filter(isPrioritized).length);
  });
});

describe('CDK: cdk-nag is enforced', () => {
  it('fails synthesis when a resource breaks an AwsSolutions rule without an acknowledgement', () => {
    // Prepare: a queue with no DLQ and no TLS-only policy, in an otherwise clean stage.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const { service } = addConveyorStage(app, { settings: stageSettings('nagcheck') });
    new Queue(service, 'Careless');

    // Act / Assess
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS3[\s\S]*Careless|Careless[\s\S]*AwsSolutions-SQS3/);
  });
});
