import { Validations } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { TABLE_LAYOUT } from '../../shared/config/table.js';
import { stageResourceNames } from '../../shared/jobs/derived.js';
import { statefulRemovalPolicy, type StageSettings } from '../config/stages.js';

/**
 * Conveyor's single table, laid out by `shared/config/table.ts` (the same layout the adapters and the
 * local cloud use): partition key `pk` and sort key `sk` (a tenant's jobs are listed from the table
 * itself, no secondary index), and the TTL attribute that expires finished jobs. On-demand: a queue's
 * load is bursty and often zero.
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
    if (!settings.pointInTimeRecovery) {
      Validations.of(this.table).acknowledge({
        id: 'AwsSolutions-DDB3',
        reason: `Stage "${settings.stage}" holds disposable development data; point-in-time recovery is on in staging and prod.`,
      });
    }
  }
}
