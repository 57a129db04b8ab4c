import { Stack } from 'aws-cdk-lib';
import type { CfnQueue } from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobWorker } from '../../infra/constructs/JobWorker.js';
import { JOB_TYPES } from '../../shared/jobs/registry.js';
import { onlyResource, synthesizeStage, type SynthesizedStage } from './synth.js';

/*
 * Flows on AWS: the flush of a flow's last child sends the parent from the child's consumer
 * (functions/follow-ups/), and the parent may be of any type. Each consumer must hold the URL of every
 * job queue and SendMessage on it — and on no dead-letter queue but its own (its DEAD hand-off).
 */

type Statement = { Effect: string; Action: string | string[]; Resource: unknown };
let synth: SynthesizedStage;
let workers: JobWorker[];

beforeAll(() => {
  synth = synthesizeStage('prod', { bundle: false, context: { alarmEmail: 'ops@acme-jobs.io', emailSender: 'jobs@mail.acme-jobs.io' } });
  workers = Object.values(synth.stacks.service.workers);
}, 120_000);

afterAll(() => synth?.cleanup());

const logicalIdOf = (worker: JobWorker, queue: JobWorker['queue']) => Stack.of(worker).getLogicalId(queue.node.defaultChild as CfnQueue);

function consumerOf(worker: JobWorker) {
  const fn = onlyResource(synth.service, 'AWS::Lambda::Function', { FunctionName: worker.consumer.functionName });
  const role = (fn.properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const statements = Object.values(synth.service.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } })).flatMap(
    (policy) => (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
  const sendsTo = new Set(statements
    .filter((s) => s.Effect === 'Allow' && [s.Action].flat().includes('sqs:SendMessage'))
    .flatMap((s) => [s.Resource].flat() as { 'Fn::GetAtt': [string, string] }[])
    .map((resource) => resource['Fn::GetAtt'][0]));
  const queueUrls = JSON.stringify((fn.properties.Environment as { Variables: Record<string, unknown> }).Variables.CONVEYOR_QUEUE_URLS);
  return { sendsTo, queueUrls };
}

describe('Stack: flows — each consumer may send a flow\'s parent of any type', () => {
  it('grants every consumer SendMessage on every job queue, with its URL in CONVEYOR_QUEUE_URLS', () => {
    // Prepare
    const lanes = workers.flatMap((worker) => worker.lanes.map((lane) => ({ key: lane.key, id: logicalIdOf(worker, lane.queue) })));
    expect(workers).toHaveLength(JOB_TYPES.length);
    expect(lanes.length).toBeGreaterThan(JOB_TYPES.length); // prioritized types have three lanes

    for (const worker of workers) {
      // Act
      const { sendsTo, queueUrls } = consumerOf(worker);

      // Assess
      for (const lane of lanes) {
        expect(sendsTo.has(lane.id), `${worker.definition.type} → ${lane.key}`).toBe(true);
        expect(queueUrls).toContain(`\\"${lane.key}\\":\\"`); // the key, as JSON inside the template's string
        expect(queueUrls).toContain(JSON.stringify({ Ref: lane.id }));
      }
    }
  });

  it('grants SendMessage on no other dead-letter queue than the consumer\'s own', () => {
    for (const worker of workers) {
      // Act
      const { sendsTo } = consumerOf(worker);

      // Assess
      const others = workers.filter((other) => other !== worker).map((other) => logicalIdOf(other, other.dlq));
      expect(others.filter((id) => sendsTo.has(id)), worker.definition.type).toEqual([]);
    }
  });
});
