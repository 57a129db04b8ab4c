import { Stack } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { JobSettings } from '../../shared/jobs/define.js';
import type { StageSettings } from '../config/stages.js';
import type { ConveyorFunction } from './ConveyorFunction.js';
import type { EmailSending } from './EmailSending.js';
import { acknowledgeWildcardResource } from './nag.js';

/** A capability a job type declares in its settings (`uses`), e.g. `email`. */
export type Capability = JobSettings['uses'][number];

export interface CapabilityResources {
  readonly settings: StageSettings;
  readonly bucket: IBucket;
  /** Payloads and results too large for their record: every consumer and the API use it. */
  readonly jobData: IBucket;
  readonly email: EmailSending;
}

interface CapabilityGrant {
  /** Variables its code reads, one line each. */
  environment(resources: CapabilityResources): Record<string, string>;
  /** The only actions on the only resources it needs. */
  grant(resources: CapabilityResources, fn: ConveyorFunction): void;
}

/**
 * What each capability means in AWS terms. A consumer gets a capability's permissions and variables
 * only if its job type lists it in `settings.uses`: the analysis consumer cannot send e-mail or touch
 * the bucket. Exhaustive: a new capability in `shared/jobs/define.ts` does not compile until it is here.
 */
const CAPABILITIES: Record<Capability, CapabilityGrant> = {
  email: {
    environment: ({ settings, email }) => ({
      CONVEYOR_EMAIL_FROM: settings.email.sender,
      CONVEYOR_SES_CONFIGURATION_SET: email.configurationSetName,
    }),
    grant: ({ settings, email }, fn) => {
      const identities = Stack.of(fn).formatArn({ service: 'ses', resource: 'identity', resourceName: '*' });
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          // SES v2 SendEmail (the only send the code makes, functions/adapters/aws/ses-mailer.ts) is
          // authorised on the sender's identity, on the configuration set it names, and — while the
          // account is in the SES sandbox — on each recipient's identity as well. Recipients are any
          // verified identity of the account, so the grant is on every identity, held to our From.
          // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsimpleemailservicev2.html
          // https://docs.aws.amazon.com/ses/latest/dg/control-user-access.html
          actions: ['ses:SendEmail'],
          resources: [identities, email.configurationSetArn],
          conditions: { StringEquals: { 'ses:FromAddress': settings.email.sender } },
        }),
      );
      acknowledgeWildcardResource(
        fn.role,
        identities,
        'In the SES sandbox a send is authorised on every recipient identity too; the statement is held to the stage sender by ses:FromAddress, so it sends only as Conveyor.',
      );
    },
  },
  model: {
    environment: ({ settings }) => ({
      CONVEYOR_AI_PROVIDER: 'bedrock',
      CONVEYOR_AI_MODEL_ID: settings.ai.modelId,
      ...(settings.ai.region ? { CONVEYOR_AI_REGION: settings.ai.region } : {}),
    }),
    grant: ({ settings }, fn) => {
      // Converse needs bedrock:InvokeModel on the model (API_runtime_Converse: "This operation requires
      // permission for the bedrock:InvokeModel action"); the grant names the one model of the stage.
      fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [foundationModelArn(Stack.of(fn), settings.ai.modelId, settings.ai.region)] }));
    },
  },
  inbox: {
    // Notifications live in the tenant's partition of the job table: JobWorker grants their PutItem with its table grant.
    environment: () => ({}),
    grant: () => undefined,
  },
  enqueue: {
    // The queues it may send to are the types in `settings.enqueues` (JobWorker.allowEnqueue, from the stage stack).
    environment: () => ({}),
    grant: () => undefined,
  },
  blobs: {
    environment: ({ bucket }) => ({
      CONVEYOR_BUCKET_NAME: bucket.bucketName,
    }),
    grant: ({ bucket }, fn) => {
      fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:PutObject', 's3:GetObject'], resources: [bucket.arnForObjects('*')] }));
      suppressObjectWildcard(fn, bucket, 'writes and reads the documents it renders');
    },
  },
};

export function capabilityEnvironment(uses: readonly Capability[], resources: CapabilityResources): Record<string, string> {
  return Object.assign({}, ...uses.map((use) => CAPABILITIES[use].environment(resources))) as Record<string, string>;
}

/** Grants each capability; `environment: true` also adds its variables (for a grant made after the function exists). */
export function grantCapabilities(uses: readonly Capability[], resources: CapabilityResources, fn: ConveyorFunction, options: { environment?: boolean } = {}): void {
  for (const use of uses) {
    CAPABILITIES[use].grant(resources, fn);
    if (options.environment) for (const [name, value] of Object.entries(CAPABILITIES[use].environment(resources))) fn.fn.addEnvironment(name, value);
  }
}

/** The API signs presigned download URLs, which act with its role: it may read documents, not write. */
export function grantBlobDownloads(resources: CapabilityResources, fn: ConveyorFunction): void {
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['s3:GetObject'], resources: [resources.bucket.arnForObjects('*')] }));
  suppressObjectWildcard(fn, resources.bucket, 'signs download URLs for documents of any tenant it has authorised');
}

/** `arn:aws:bedrock:<region>::foundation-model/<id>`: foundation models belong to no account. */
export function foundationModelArn(stack: Stack, modelId: string, region?: string): string {
  return stack.formatArn({ service: 'bedrock', account: '', region: region ?? stack.region, resource: 'foundation-model', resourceName: modelId });
}

function suppressObjectWildcard(fn: ConveyorFunction, bucket: IBucket, why: string): void {
  acknowledgeWildcardResource(
    fn.role,
    bucket.arnForObjects('*'),
    `Object keys are generated per job (tenant/jobId.pdf), so the grant is on the objects of this one bucket: the function ${why}.`,
  );
}
