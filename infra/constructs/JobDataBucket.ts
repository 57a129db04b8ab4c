import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Bucket, IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { stageResourceNames } from '../../shared/jobs/derived.js';
import type { JobDefinition } from '../../shared/jobs/define.js';
import { jobDataExpiryDays } from '../../shared/jobs/retention.js';
import type { StageSettings } from '../config/stages.js';
import { privateExpiringBucket } from './BlobBucket.js';
import type { ConveyorFunction } from './ConveyorFunction.js';
import { acknowledgeWildcardResource } from './nag.js';

/** The stage's job-data bucket name in `stack`'s account and region (known to both stacks, no export). */
export function jobDataBucketName(stack: Stack, stage: string): string {
  return stageResourceNames(stage, stack.account, stack.region).jobDataBucket;
}

/**
 * Payloads and results too large for their job record (functions/job-data/), under
 * `tenants/<tenant>/jobs/<jobId>/{payload,result}-<sha256>.json`. A bucket of its own, apart from the
 * documents: its objects expire with the jobs' retention rather than the documents' (one lifecycle
 * rule on the whole bucket: `jobDataExpiryDays`, derived from the registry), and each function's
 * grant can name exactly the objects it touches. Expiry by a lifecycle rule rather than on the
 * record's TTL (a DynamoDB stream and a function deleting what each expired record named): the rule
 * costs nothing per object, needs no code, and also sweeps what no record names — the payload of an
 * enqueue whose record write failed, the result of a run whose terminal write lost.
 */
export class JobDataBucket extends Construct {
  readonly bucket: Bucket;
  readonly expiryDays: number;

  constructor(scope: Construct, id: string, props: { readonly settings: StageSettings; readonly jobs: readonly JobDefinition[] }) {
    super(scope, id);
    const { settings } = props;
    this.expiryDays = jobDataExpiryDays(props.jobs.map((job) => job.settings));
    this.bucket = privateExpiringBucket(this, {
      settings,
      bucketName: jobDataBucketName(Stack.of(this), settings.stage),
      expiry: { id: 'expire-job-data', days: this.expiryDays },
      accessLogsWaiver: 'Objects are written by the API (payloads) and the consumers (results) under keys derived from the job record, and read back by them or through presigned URLs the API signs; the job table records whose each object is. Server access logs would add a second bucket with nothing to audit.',
    });
  }
}

/** Object ARNs of one kind of job data, for every tenant and job: `tenants/*` `/jobs/*` `/<kind>-*`. */
function objectsOf(bucket: IBucket, kind: 'payload' | 'result' | '*'): string {
  return bucket.arnForObjects(`tenants/*/jobs/*/${kind === '*' ? '*' : `${kind}-*`}`);
}

/**
 * The API writes payloads (enqueue, retry with a new payload), deletes one whose job was not
 * enqueued, reads one back to rewrite it on retry, and signs presigned GETs of payloads and results
 * (a presigned URL acts with the signer's permissions).
 */
export function grantJobDataToApi(bucket: IBucket, fn: ConveyorFunction): void {
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject', 's3:DeleteObject'], resources: [objectsOf(bucket, 'payload')] }));
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [objectsOf(bucket, '*')] }));
  acknowledge(fn, bucket, ['payload', '*'], 'writes payloads it accepted and signs downloads of payloads and results');
}

/** A consumer reads its jobs' payloads and writes their results; it never writes a payload nor deletes anything. */
export function grantJobDataToConsumer(bucket: IBucket, fn: ConveyorFunction): void {
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [objectsOf(bucket, 'payload')] }));
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject'], resources: [objectsOf(bucket, 'result')] }));
  acknowledge(fn, bucket, ['payload', 'result'], 'reads the payloads of the jobs it runs and writes their results');
}

function acknowledge(fn: ConveyorFunction, bucket: IBucket, kinds: readonly ('payload' | 'result' | '*')[], why: string): void {
  for (const kind of kinds) {
    acknowledgeWildcardResource(fn.role, objectsOf(bucket, kind), `Keys are derived per job (tenants/<tenant>/jobs/<jobId>/<kind>-<sha256>.json) and one role serves every tenant, so the grant is on one kind of object of this bucket: the function ${why}.`);
  }
}
