import { Duration, Stack, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { stageResourceNames } from '../../shared/jobs/derived.js';
import { statefulRemovalPolicy, type StageSettings } from '../config/stages.js';

/** The stage's document bucket name in `stack`'s account and region (known to both stacks, no export). */
export function documentBucketName(stack: Stack, stage: string): string {
  return stageResourceNames(stage, stack.account, stack.region).documentBucket;
}

/**
 * Where generated documents (PDFs) live: private, encrypted, TLS only, and expired after the
 * stage's retention — clients download through short-lived presigned URLs, never publicly.
 */
export class BlobBucket extends Construct {
  readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: { readonly settings: StageSettings }) {
    super(scope, id);
    const { settings } = props;
    this.bucket = privateExpiringBucket(this, {
      settings,
      bucketName: documentBucketName(Stack.of(this), settings.stage),
      expiry: { id: 'expire-documents', days: settings.blobExpiryDays },
      accessLogsWaiver: 'Objects are written only by the PDF consumer role and read through presigned URLs it signs; the job table records who asked for each document. Server access logs would add a second bucket with nothing to audit.',
    });
  }
}

/**
 * A bucket Conveyor keeps its objects in: private, encrypted, TLS only, owned by the bucket owner,
 * its objects expired by one lifecycle rule (and unfinished uploads after a day). Outside retained
 * stages it goes with the stack; CloudFormation refuses to delete a non-empty bucket, and the expiry
 * rule empties it within its days.
 */
export function privateExpiringBucket(
  scope: Construct,
  props: { readonly settings: StageSettings; readonly bucketName: string; readonly expiry: { readonly id: string; readonly days: number }; readonly accessLogsWaiver: string },
): Bucket {
  const bucket = new Bucket(scope, 'Bucket', {
    bucketName: props.bucketName,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    encryption: BucketEncryption.S3_MANAGED,
    enforceSSL: true,
    objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
    lifecycleRules: [
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/lifecycle-expire-general-considerations.html
      { id: props.expiry.id, expiration: Duration.days(props.expiry.days) },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ],
    removalPolicy: statefulRemovalPolicy(props.settings),
  });
  Validations.of(bucket).acknowledge({ id: 'AwsSolutions-S1', reason: props.accessLogsWaiver });
  return bucket;
}
