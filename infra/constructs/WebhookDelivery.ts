import { Duration, Validations } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { WEBHOOK_RETRY } from '../../shared/domain/retry.js';
import { statefulRemovalPolicy, type StageSettings } from '../config/stages.js';
import { ConveyorFunction } from './ConveyorFunction.js';
import { API_QUEUE_ACTIONS, REDRIVE_DLQ_ACTIONS, TABLE_ACTIONS } from './permissions.js';

export interface WebhookDeliveryProps {
  readonly settings: StageSettings;
  /** Variables every function gets (`commonEnvironment`). */
  readonly environment: Readonly<Record<string, string>>;
  /** The job table: the consumer records each attempt on the job's record. */
  readonly table: ITable;
}

/** The consumer's timeout: a POST gives up after 5 s; a batch of 10 runs in parallel. */
const TIMEOUT_SECONDS = 10;

/**
 * Completion webhooks on AWS: the delivery queue (and its DLQ), the signing secret, and the
 * consumer Lambda on an SQS event source with partial batch responses. No allow-list: on AWS every
 * callback must resolve to public addresses only.
 */
export class WebhookDelivery extends Construct {
  readonly queue: Queue;
  readonly dlq: Queue;
  readonly secret: Secret;
  readonly consumer: ConveyorFunction;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    const { settings } = props;
    this.dlq = new Queue(this, 'Dlq', {
      queueName: `conveyor-${settings.stage}-webhooks-dlq`,
      // SQS's maximum, longer than the source's retention (see shared/jobs/derived.ts).
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    Validations.of(this.dlq).acknowledge({ id: 'AwsSolutions-SQS3', reason: 'This queue is the dead-letter queue of the webhook queue; it has no DLQ of its own by design.' });
    this.queue = new Queue(this, 'Queue', {
      queueName: `conveyor-${settings.stage}-webhooks`,
      // AWS: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(6 * TIMEOUT_SECONDS),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // One receive per delivery attempt; after the last, the DLQ.
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: WEBHOOK_RETRY.maxAttempts },
    });
    this.secret = new Secret(this, 'SigningSecret', {
      secretName: `conveyor/${settings.stage}/webhook-signing-secret`,
      description: 'HMAC-SHA256 key of Conveyor-Signature on completion webhooks',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      // Receivers verify with this key: replacing the stack must not silently change it in prod.
      removalPolicy: statefulRemovalPolicy(settings),
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The webhook signing key is shared with every receiver, which verifies Conveyor-Signature with it; an automatic rotation would break their verification until each receiver is updated. Rotate on purpose (docs/features.md: Completion webhooks).',
    });
    this.consumer = new ConveyorFunction(this, 'Consumer', {
      settings,
      name: 'webhooks',
      entry: 'webhook-worker',
      description: `Conveyor ${settings.stage}: delivers signed completion webhooks`,
      timeoutSeconds: TIMEOUT_SECONDS,
      memoryMb: 256,
      // It sends to no job queue: an empty queue map satisfies the shared config parser. The signing
      // key is not a variable: the consumer reads the secret at cold start, so no function's
      // configuration shows it.
      environment: { ...props.environment, CONVEYOR_QUEUE_URLS: '{}', ...this.environment, CONVEYOR_WEBHOOK_SECRET_ID: this.secret.secretArn },
    });
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...TABLE_ACTIONS.webhooks], resources: [props.table.tableArn] }));
    // Exactly GetSecretValue on this secret (grantRead would add DescribeSecret).
    this.consumer.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }));
    // The event source grants receive/delete/change-visibility (the retry backoff) on this queue only.
    this.consumer.fn.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));
  }

  /** What every function that records terminal states (API, workers) needs: the delivery queue only. */
  get environment(): Record<string, string> {
    return { CONVEYOR_WEBHOOK_QUEUE_URL: this.queue.queueUrl };
  }

  /**
   * The API operates the webhook queue like a job type's (`/v1/queues/webhooks/…`): depths of both
   * queues, and the redrive: the API starts this DLQ's message move itself (a job type's is the redrive
   * consumer's), which needs on the DLQ what the redrive consumer holds on a job DLQ, and SendMessage
   * on the queue (granted by `connect`).
   */
  grantOperations(fn: ConveyorFunction): void {
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...API_QUEUE_ACTIONS], resources: [this.queue.queueArn] }));
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...REDRIVE_DLQ_ACTIONS], resources: [this.dlq.queueArn] }));
  }

  /**
   * A function whose terminal transitions queue webhooks (the API on cancel, every job consumer):
   * the variables, and SendMessage on the delivery queue only.
   */
  connect(fn: ConveyorFunction): void {
    for (const [name, value] of Object.entries(this.environment)) fn.fn.addEnvironment(name, value);
    fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
  }
}
