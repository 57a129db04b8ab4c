import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { synthesizeStage } from './synth.js';

/**
 * cfn-lint (AWS's CloudFormation linter: resource schemas, property values, best practices) on every
 * synthesized template of dev and prod. It is a Python tool, installed on the project's machines
 * (`cfn-lint --version`); where it is missing the suite says so and skips, rather than pass unseen.
 */
const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
const available = version.status === 0;
if (!available) console.warn('cfn-lint is not installed: the CloudFormation lint of the synthesized templates is SKIPPED (pip install cfn-lint, or Debian/your image’s package)');

interface Finding {
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
  readonly Location: { readonly Path: readonly (string | number)[] };
}

/** Each finding cfn-lint may report, with why it is not a defect. Anything else fails. */
const SUPPRESSED: readonly { readonly rule: string; readonly matches: (finding: Finding, resourceType: string | undefined) => boolean; readonly reason: string }[] = [
  {
    rule: 'W3005',
    matches: (f) => f.Location.Path[2] === 'DependsOn' && /Role/.test(f.Message),
    reason: 'CDK adds DependsOn on a function’s role (and its policy) so the policy exists before the function is invoked; the role half is redundant with the GetAtt, harmless, and not ours to remove.',
  },
  {
    rule: 'E3002',
    matches: (f, type) => type === 'AWS::CloudWatch::Dashboard' && /'Tags' was unexpected/.test(f.Message),
    reason: 'AWS::CloudWatch::Dashboard accepts Tags (CloudFormation reference, cfn-cloudwatch-dashboard-tags; aws-cdk-lib’s CfnDashboard is taggable); this cfn-lint’s bundled schema predates it.',
  },
];

let outdir: string;
let files: string[];
let types: Map<string, Record<string, string>>;

beforeAll(() => {
  if (!available) return;
  outdir = mkdtempSync(join(tmpdir(), 'conveyor-cfn-lint-'));
  files = [];
  types = new Map();
  const stages = [synthesizeStage('dev', { bundle: false }), synthesizeStage('prod', { bundle: false, context: { alarmEmail: 'ops@acme-jobs.io', emailSender: 'jobs@mail.acme-jobs.io' } })];
  for (const stage of stages) {
    for (const [stack, template] of [[stage.stacks.data, stage.data], [stage.stacks.service, stage.service]] as const) {
      const file = join(outdir, `${stack.stackName}.template.json`);
      const json = template.toJSON() as { Resources: Record<string, { Type: string }> };
      writeFileSync(file, JSON.stringify(json));
      files.push(file);
      types.set(file, Object.fromEntries(Object.entries(json.Resources).map(([id, r]) => [id, r.Type])));
    }
    stage.cleanup();
  }
}, 300_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe.skipIf(!available)(`cfn-lint ${version.stdout?.trim() ?? ''} on the synthesized templates`, () => {
  it('finds nothing but the suppressed findings, each with its reason, in all four templates', () => {
    // Act
    const run = spawnSync('cfn-lint', ['--format', 'json', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const findings = JSON.parse(run.stdout || '[]') as Finding[];

    // Assess
    expect(files).toHaveLength(4);
    expect(run.error).toBeUndefined();
    const unexplained = findings.filter((f) => {
      const type = types.get(f.Filename)?.[String(f.Location.Path[1])];
      return !SUPPRESSED.some((s) => s.rule === f.Rule.Id && s.matches(f, type));
    });
    expect(unexplained.map((f) => `${f.Rule.Id} ${f.Filename.split('/').pop()} ${f.Location.Path.join('/')}: ${f.Message}`)).toEqual([]);
    for (const s of SUPPRESSED) expect(s.reason.length, s.rule).toBeGreaterThan(40);
    // cfn-lint on four templates is seconds of CPU idle and over 30 s on a loaded machine: a budget, not an assertion.
  }, 300_000);
});
