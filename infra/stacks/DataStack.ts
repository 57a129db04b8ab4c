import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import type { StageSettings } from '../config/stages.js';
import { BlobBucket } from '../constructs/BlobBucket.js';
import { JobTable } from '../constructs/JobTable.js';

/**
 * The stateful half of a stage — the job table, the document bucket and the SES sender identity —
 * kept apart from the functions so that redeploying or even replacing the service stack never
 * touches data, and so prod can protect this stack from deletion on its own.
 */
export class DataStack extends Stack {
  readonly table: Table;
  readonly bucket: Bucket;
  readonly emailIdentity: EmailIdentity;

  constructor(scope: Construct, id: string, props: StackProps & { readonly settings: StageSettings }) {
    super(scope, id, { ...props, terminationProtection: props.settings.terminationProtection });
    const { settings } = props;
    this.table = new JobTable(this, 'Jobs', { settings }).table;
    this.bucket = new BlobBucket(this, 'Documents', { settings }).bucket;

    // A domain identity (DKIM records to publish) when the identity is a domain, else the address
    // itself (SES e-mails a verification link).
    const { identity } = settings.email;
    this.emailIdentity = new EmailIdentity(this, 'Sender', { identity: identity.includes('@') ? Identity.email(identity) : Identity.domain(identity) });
    if (identity.endsWith('example.com')) {
      Annotations.of(this).addWarningV2('conveyor:placeholder-sender', `SES identity "${identity}" is a placeholder: deploy with -c emailSender=you@your-domain`);
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName, description: 'The job table' });
    new CfnOutput(this, 'DocumentBucket', { value: this.bucket.bucketName, description: 'Where PDFs are stored' });
    new CfnOutput(this, 'EmailIdentity', { value: identity, description: 'SES identity to verify before e-mail jobs can send' });
    if (!identity.includes('@')) {
      this.emailIdentity.dkimRecords.forEach((record, index) => {
        new CfnOutput(this, `DkimRecord${index + 1}`, { value: `${record.name} CNAME ${record.value}`, description: `DKIM record ${index + 1} to publish in DNS` });
      });
    }
  }
}
