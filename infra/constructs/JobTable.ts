import { Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../../shared/config/table.js';
import { stageResourceNames } from '../../shared/jobs/derived.js';
import { statefulRemovalPolicy, type StageSettings } from '../config/stages.js';

/**
 * Conveyor's single table, laid out by `shared/config/table.ts` (the same layout the adapters and the
 * local cloud use): partition key `pk` and sort key `sk` (a tenant's jobs are listed from the table
 * itself), the TTL attribute that expires finished jobs, and two sparse indexes that only the few jobs
 * carrying their key attribute enter — DEAD jobs by type (the DLQ listing) and jobs the recovery sweep
 * must look at. A job without follow-ups writes to neither. On-demand: a queue's load is bursty and
 * often zero.
 *
 * CloudFormation adds one global secondary index per table update: a stage deployed before these
 * indexes existed gets them over two deploys (see the README's upgrade note).
 */
export class JobTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string, props: { readonly settings: StageSettings }) {
    super(scope, id);
    const { settings } = props;
    this.table = new Table(this, 'Table', {
      tableName: stageResourceNames(settings.stage).table,
      partitionKey: { name: TABLE_LAYOUT.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_LAYOUT.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_LAYOUT.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: settings.pointInTimeRecovery },
      // No DynamoDB deletion protection: DeleteTable refuses a protected table, so the rollback of a
      // failed first deploy could not remove it and the stack would be stuck. The stack's termination
      // protection, RetainExceptOnCreate and point-in-time recovery guard the data instead.
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithTables.Basics.html#WorkingWithTables.Basics.DeletionProtection
      removalPolicy: statefulRemovalPolicy(settings),
    });
    const { deadLetters, sweep } = TABLE_LAYOUT.indexes;
    this.table.addGlobalSecondaryIndex({
      indexName: deadLetters.name,
      partitionKey: { name: deadLetters.partitionKey, type: AttributeType.STRING },
      sortKey: { name: deadLetters.sortKey, type: AttributeType.STRING },
      // The listing filters on when a dead job's DLQ message expires; the records are read for the rest.
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...deadLetters.projection.include],
    });
    this.table.addGlobalSecondaryIndex({
      indexName: sweep.name,
      partitionKey: { name: sweep.partitionKey, type: AttributeType.STRING },
      sortKey: { name: sweep.sortKey, type: AttributeType.STRING },
      // The sweep reads each record it finds: keys are all it needs, and keep every index write at one unit.
      projectionType: ProjectionType.KEYS_ONLY,
    });
    if (!settings.pointInTimeRecovery) {
      Validations.of(this.table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason: `Stage "${settings.stage}" holds disposable development data; point-in-time recovery is on in staging and prod.`,
      });
    }
  }
}
