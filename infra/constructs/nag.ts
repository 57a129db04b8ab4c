import { Stack, Validations } from 'aws-cdk-lib';
// Not re-exported from the package root; the file is part of cdk-nag's published lib/.
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 for exactly one wildcard resource of a role's policy. The
 * finding names the resource as cdk-nag flattens it; flatten it the same way, so any other wildcard
 * on the same role still fails the synthesis.
 */
export function acknowledgeWildcardResource(role: IConstruct, resource: string, reason: string): void {
  const rendered = flattenCfnReference(Stack.of(role).resolve(resource));
  Validations.of(role).acknowledge({ id: `AwsSolutions-IAM5[Resource::${rendered}]`, reason });
}
