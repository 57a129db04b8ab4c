import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageSettings } from '../../infra/config/stages.js';
import { synthesizeStage, type SynthesizedStage } from './synth.js';

/** X-Ray per stage: Lambda tracing Active, the X-Ray write permission and CONVEYOR_TRACING, all or none. */
let dev: SynthesizedStage;
let prod: SynthesizedStage;
let devTraced: SynthesizedStage;

beforeAll(() => {
  dev = synthesizeStage('dev', { bundle: false });
  prod = synthesizeStage('prod', { bundle: false, context: { alarmEmail: 'ops@acme-jobs.io', emailSender: 'jobs@mail.acme-jobs.io' } });
  devTraced = synthesizeStage('dev', { bundle: false, context: { tracing: 'on' } });
});

afterAll(() => {
  for (const stage of [dev, prod, devTraced]) stage?.cleanup();
});

type Fn = { Properties: { FunctionName: string; Role: { 'Fn::GetAtt': [string, string] }; TracingConfig?: { Mode: string }; Environment: { Variables: Record<string, unknown> } } };
type Policy = { Properties: { Roles: { Ref: string }[]; PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] } } };

function functionsOf(stage: SynthesizedStage): Fn[] {
  return Object.values(stage.service.findResources('AWS::Lambda::Function')) as Fn[];
}

/** The X-Ray statements of a function's role. */
function xrayStatements(stage: SynthesizedStage, fn: Fn) {
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(stage.service.findResources('AWS::IAM::Policy')) as Policy[];
  return policies
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .filter((s) => [s.Action].flat().some((a) => a.startsWith('xray:')));
}

describe('Stage setting: tracing', () => {
  it('prod traces every function: tracing Active, CONVEYOR_TRACING=on, X-Ray writes only', () => {
    // Prepare
    const functions = functionsOf(prod);

    // Assess
    expect(functions.length).toBeGreaterThanOrEqual(7);
    for (const fn of functions) {
      expect(fn.Properties.TracingConfig, fn.Properties.FunctionName).toEqual({ Mode: 'Active' });
      expect(fn.Properties.Environment.Variables.CONVEYOR_TRACING).toBe('on');
      expect(xrayStatements(prod, fn).flatMap((s) => [s.Action].flat()).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('dev traces nothing and grants no X-Ray permission', () => {
    for (const fn of functionsOf(dev)) {
      expect(fn.Properties.TracingConfig, fn.Properties.FunctionName).toBeUndefined();
      expect(fn.Properties.Environment.Variables.CONVEYOR_TRACING).toBe('off');
      expect(xrayStatements(dev, fn)).toEqual([]);
    }
  });

  it('-c tracing=on turns it on for a stage; cdk-nag accepts only the X-Ray wildcard, justified', () => {
    // Assess
    expect(functionsOf(devTraced).every((fn) => fn.Properties.TracingConfig?.Mode === 'Active')).toBe(true);
    const nag = devTraced.report.pluginReports.flatMap((r) => r.violations).filter((v) => v.ruleName.startsWith('AwsSolutions-IAM5') && v.severity !== 'info');
    expect(nag.every((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]')).toBe(true);
  });

  it('refuses a tracing value other than on or off', () => {
    expect(() => stageSettings('dev', { tracing: 'yes' })).toThrow(/tracing "yes": use -c tracing=on or -c tracing=off/);
  });

  it('samples debug lines of 1% of invocations in prod, none in dev', () => {
    expect(functionsOf(prod).every((fn) => fn.Properties.Environment.Variables.CONVEYOR_LOG_DEBUG_SAMPLE_RATE === '0.01')).toBe(true);
    expect(functionsOf(dev).every((fn) => fn.Properties.Environment.Variables.CONVEYOR_LOG_DEBUG_SAMPLE_RATE === '0')).toBe(true);
  });
});
