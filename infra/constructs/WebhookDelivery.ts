import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { WEBHOOK_RETRY } from '../../functions/webhooks/webhook-worker.js';
import { lambdaBundling } from './ConveyorFunction.js';

export interface WebhookDeliveryProps {
  readonly stage: string;
  /** Environment the consumer shares with the other functions. */
  readonly environment?: Readonly<Record<string, string>>;
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
  readonly consumer: NodejsFunction;

  constructor(scope: Construct, id: string, props: WebhookDeliveryProps) {
    super(scope, id);
    this.dlq = new Queue(this, 'Dlq', {
      queueName: `conveyor-${props.stage}-webhooks-dlq`,
      // SQS's maximum, longer than the source's retention (see shared/jobs/derived.ts).
      retentionPeriod: Duration.days(14),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: `conveyor-${props.stage}-webhooks`,
      // AWS: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(6 * TIMEOUT_SECONDS),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // One receive per delivery attempt; after the last, the DLQ.
      deadLetterQueue: { queue: this.dlq, maxReceiveCount: WEBHOOK_RETRY.maxAttempts },
    });
    this.secret = new Secret(this, 'SigningSecret', {
      secretName: `conveyor/${props.stage}/webhook-signing-secret`,
      description: 'HMAC-SHA256 key of Conveyor-Signature on completion webhooks',
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    this.consumer = new NodejsFunction(this, 'Consumer', {
      functionName: `conveyor-${props.stage}-webhooks`,
      entry: fileURLToPath(new URL('../../functions/entry/webhook-worker.ts', import.meta.url)),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(TIMEOUT_SECONDS),
      environment: { ...props.environment, ...this.environment },
      bundling: lambdaBundling(),
    });
    this.consumer.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));
  }

  /**
   * What every function that records terminal states (API, workers) and the consumer need. The
   * secret is passed as a CloudFormation dynamic reference: resolved at deploy, never in the
   * template or the repository (it is visible in the function's configuration to whoever may read it).
   */
  get environment(): Record<string, string> {
    return { CONVEYOR_WEBHOOK_QUEUE_URL: this.queue.queueUrl, CONVEYOR_WEBHOOK_SECRET: this.secret.secretValue.unsafeUnwrap() };
  }

  /** Functions whose terminal transitions queue webhooks may send to the delivery queue. */
  grantEnqueue(grantee: IGrantable): void {
    this.queue.grantSendMessages(grantee);
  }

  get deadLetterQueue(): IQueue {
    return this.dlq;
  }
}
