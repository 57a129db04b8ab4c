import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { stageSettings, type StageContext } from '../../infra/config/stages.js';
import { addConveyorStage, type ConveyorStacks } from '../../infra/conveyor.js';

export interface SynthesizedStage {
  readonly stacks: ConveyorStacks;
  readonly data: Template;
  readonly service: Template;
  /** CDK's validation report (cdk-nag's findings, acknowledged ones included). */
  readonly report: ValidationReport;
  cleanup(): void;
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: readonly { readonly ruleName: string; readonly severity: string }[];
  }[];
}

/**
 * Synthesises one stage exactly as `infra/app.ts` does (cdk-nag included) into a temporary folder.
 * `bundle: false` skips esbuild (the templates are the same but for asset hashes): synthesis with
 * bundling takes seconds per function, so tests bundle once and share the result.
 */
export function synthesizeStage(stage: string, options: { bundle?: boolean; jobs?: readonly JobDefinition[]; workerEntry?: (type: string) => string; context?: StageContext } = {}): SynthesizedStage {
  const outdir = mkdtempSync(join(tmpdir(), `conveyor-cdk-${stage}-`));
  const app = new App({ outdir, ...(options.bundle === false ? { context: { 'aws:cdk:bundling-stacks': [] } } : {}) });
  const stacks = addConveyorStage(app, {
    settings: stageSettings(stage, options.context),
    ...(options.jobs ? { jobs: options.jobs } : {}),
    ...(options.workerEntry ? { workerEntry: options.workerEntry } : {}),
  });
  const assembly = app.synth();
  const report = JSON.parse(readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
  return {
    stacks,
    data: Template.fromStack(stacks.data),
    service: Template.fromStack(stacks.service),
    report,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** The one resource of `type` whose properties match `where`; fails naming what was found. */
export function onlyResource(template: Template, type: string, where: Record<string, unknown> = {}): { logicalId: string; properties: Record<string, unknown>; deletionPolicy?: string } {
  const found = Object.entries(template.findResources(type, { Properties: where }) as Resources);
  if (found.length !== 1) throw new Error(`expected one ${type} matching ${JSON.stringify(where)}, found ${found.length}`);
  const [logicalId, resource] = found[0]!;
  return { logicalId, properties: resource.Properties ?? {}, ...(resource.DeletionPolicy ? { deletionPolicy: resource.DeletionPolicy } : {}) };
}

/**
 * Replaces CloudFormation intrinsics in a value with plausible deploy-time values, so a function's
 * environment can go through the same `parseConfig` the Lambda runs.
 */
export function resolveForDeploy(value: unknown, template: Template): unknown {
  const resources = template.toJSON().Resources as Resources;
  const visit = (node: unknown): unknown => {
    if (typeof node === 'string' || typeof node === 'number' || typeof node === 'boolean') return node;
    if (Array.isArray(node)) return node.map(visit);
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if ('Ref' in record) {
        const id = String(record.Ref);
        const pseudo: Record<string, string> = { 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '123456789012', 'AWS::Partition': 'aws', 'AWS::URLSuffix': 'amazonaws.com' };
        if (pseudo[id]) return pseudo[id];
        if (resources[id]?.Type === 'AWS::SQS::Queue') return `https://sqs.eu-west-1.amazonaws.com/123456789012/${String(resources[id]?.Properties?.QueueName ?? id)}`;
        return `ref-${id}`;
      }
      if ('Fn::Join' in record) {
        const [delimiter, parts] = record['Fn::Join'] as [string, unknown[]];
        return parts.map((part) => String(visit(part))).join(delimiter);
      }
      if ('Fn::GetAtt' in record) {
        const [id, attribute] = record['Fn::GetAtt'] as [string, string];
        const resource = resources[id];
        // ARNs in the shape their service gives them (the code checks `arn:` prefixes).
        if (attribute === 'Arn' && resource?.Type === 'AWS::Lambda::Function') return `arn:aws:lambda:eu-west-1:123456789012:function:${String(resource.Properties?.FunctionName ?? id)}`;
        if (attribute === 'Arn' && resource?.Type === 'AWS::IAM::Role') return `arn:aws:iam::123456789012:role/${id}`;
        if (attribute === 'Arn' && resource?.Type === 'AWS::SQS::Queue') return `arn:aws:sqs:eu-west-1:123456789012:${String(resource.Properties?.QueueName ?? id)}`;
        return `getatt-${id}.${attribute}`;
      }
      return Object.fromEntries(Object.entries(record).map(([key, child]) => [key, visit(child)]));
    }
    return node;
  };
  return visit(value);
}
