import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { isPlaceholderDomain, type StageSettings } from '../config/stages.js';
import { BlobBucket } from '../constructs/BlobBucket.js';
import { JobDataBucket } from '../constructs/JobDataBucket.js';
import { JobTable } from '../constructs/JobTable.js';
import type { JobDefinition } from '../../shared/jobs/define.js';

/**
 * The stateful half of a stage — the job table, the document and job-data buckets and the SES sender identity —
 * kept apart from the functions so that redeploying or even replacing the service stack never
 * touches data, and so prod can protect this stack from deletion on its own.
 */
export class DataStack extends Stack {
  readonly table: Table;
  readonly bucket: Bucket;
  /** Payloads and results too large for their record. */
  readonly jobData: JobDataBucket;
  /** Absent when the identity already exists (`-c emailIdentity=existing`) or the sender is a placeholder. */
  readonly emailIdentity: EmailIdentity | undefined;

  constructor(scope: Construct, id: string, props: StackProps & { readonly settings: StageSettings; readonly jobs: readonly JobDefinition[] }) {
    super(scope, id, { ...props, terminationProtection: props.settings.terminationProtection });
    const { settings } = props;
    this.table = new JobTable(this, 'Jobs', { settings }).table;
    this.bucket = new BlobBucket(this, 'Documents', { settings }).bucket;
    this.jobData = new JobDataBucket(this, 'JobData', { settings, jobs: props.jobs });

    // The sender's SES identity. CloudFormation's create fails with AlreadyExists when the account
    // already has this identity in the region (an earlier stack, the console), so a stage either
    // creates it (`-c emailIdentity=create`, the default) or uses the existing one
    // (`-c emailIdentity=existing`: nothing is created; the consumer is granted on its ARN either way).
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ses-emailidentity.html
    // A placeholder sender outside production is never created: nobody can verify it.
    const { identity, identitySource } = settings.email;
    const placeholder = isPlaceholderDomain(identity.split('@').pop()!);
    if (identitySource === 'create' && !placeholder) {
      // A domain identity (DKIM records to publish) when the identity is a domain, else the address
      // itself (SES e-mails a verification link).
      this.emailIdentity = new EmailIdentity(this, 'Sender', { identity: identity.includes('@') ? Identity.email(identity) : Identity.domain(identity) });
    }
    if (placeholder) {
      Annotations.of(this).addInfo(`SES identity "${identity}" is a placeholder: e-mail jobs fail until the stage is deployed with -c emailSender=you@your-domain`);
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The job table' });
    new CfnOutput(this, 'DocumentBucket', { value: this.bucket.bucketName, description: 'Where PDFs are stored' });
    new CfnOutput(this, 'JobDataBucket', { value: this.jobData.bucket.bucketName, description: `Payloads and results too large for their record (expire after ${this.jobData.expiryDays} days)` });
    new CfnOutput(this, 'EmailIdentity', { value: identity, description: identitySource === 'create' ? 'SES identity to verify before e-mail jobs can send' : 'SES identity (existing) the e-mail consumer sends from' });
    if (this.emailIdentity && !identity.includes('@')) {
      this.emailIdentity.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `DkimRecord${index + 1}`, { value: `${record.name} CNAME ${record.value}`, description: `DKIM record ${index + 1} to publish in DNS` });
      });
    }
  }
}
